import { afterAll, describe, expect, it } from 'vitest';
import { type ExecInstance, execStage } from '../../src/backends/exec.js';
import { DEFAULT_RESTART_POLICY, StageActor } from '../../src/backends/stage-actor.js';
import { systemClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { until } from '../harness/until.js';
import { capturingLog } from '../services/support.js';
import { ask, ctx, errText } from './support.js';

const ECHO = ['node', 'examples/echo-stage.mjs'];

describe('exec stage with examples/echo-stage.mjs', () => {
  const { log, lines } = capturingLog();
  const actor = new StageActor(
    execStage,
    ECHO,
    { name: 'exec#1', downstream: undefined, log, clock: systemClock },
    { policy: { ...DEFAULT_RESTART_POLICY, minBackoffMs: 10, maxBackoffMs: 10, random: () => 0 } },
  );
  const handle = (m: Parameters<StageActor['send']>[0]) => void actor.send(m);
  afterAll(() => actor.stop());

  it('answers get and ls, refuses other verbs with 501, and logs the program stderr', async () => {
    await actor.start();
    const pid = (actor.instance as ExecInstance).pid;
    expect(actor.instance?.describe?.()).toMatch(/running "node examples\/echo-stage.mjs" \(pid \d+\)/);
    expect(await ask(handle, 'get', { op: 'ping' })).toEqual([
      { verb: 'set', args: { status: 200, body: { stage: 'echo', pid, args: { op: 'ping' } } } },
    ]);
    expect((await ask(handle, 'ls'))[0]).toMatchObject({ args: { body: ['echo-a', 'echo-b'] } });
    expect((await ask(handle, 'spawn'))[0]).toMatchObject({
      verb: 'error',
      args: { code: ErrorCode.NotImplemented, status: 501 },
    });
    await until(() => lines.some((l) => l.includes(`echo-stage ${pid} ready`)), 3000, 'stderr in the log');
  });

  it('when the program exits, the request in flight gets ConnectionLost and the stage restarts it', async () => {
    const before = (actor.instance as ExecInstance).pid;
    const [err] = await ask(handle, 'kill');
    expect(err).toMatchObject({ verb: 'error', args: { code: ErrorCode.ConnectionLost, status: 502 } });
    expect(errText(err)).toMatch(/stage exec#1: program "node examples\/echo-stage.mjs" exited with code 3/);
    await until(
      () => actor.status === 'running' && (actor.instance as ExecInstance)?.pid !== before,
      10_000,
      'restart',
    );
    expect((await ask(handle, 'get'))[0]).toMatchObject({ verb: 'set', args: { body: { stage: 'echo' } } });
    expect(lines.some((l) => /exited with code 3/.test(l))).toBe(true);
  });

  it('stop ends the program', async () => {
    const pid = (actor.instance as ExecInstance).pid as number;
    await actor.stop();
    expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('exec stage arguments', () => {
  it('needs a program, and a missing one fails start with the reason', async () => {
    expect(() => execStage.create([], ctx('exec#1'))).toThrow(/missing program/);
    const inst = await execStage.create(['/nonexistent/prog'], ctx('exec#1'));
    await expect(inst.start?.()).rejects.toThrow(/cannot run "\/nonexistent\/prog".*ENOENT/);
  });
});
