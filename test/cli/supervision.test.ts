import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/actors/client.js';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import { systemClock } from '../../src/clock.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import type { Sender } from '../../src/libchan/types.js';
import { type SwarmdProcess, startSwarmd, until } from '../harness/index.js';

// A real swarmd process runs `listen → exec examples/echo-stage.mjs`; this test reaches it through
// an in-process `remote` stage and the Client DSL, kills the stage's program and watches the chain
// answer, restart it and keep serving.

const dir = mkdtempSync(join(tmpdir(), 'swd-sup-'));
let back: SwarmdProcess | undefined;
let front: Chain | undefined;
afterAll(async () => {
  await front?.stop();
  back?.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const pidOf = (reply: unknown) => (reply as { body: { pid: number } }).body.pid;

describe('supervision in a running swarmd', () => {
  it('a killed stage program: callers get error replies (never silence), the stage restarts, swarmd keeps serving', async () => {
    const sock = join(dir, 'sup.sock');
    back = await startSwarmd([`listen unix://${sock}`, 'exec node examples/echo-stage.mjs']);
    front = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
    await front.start([`remote unix://${sock}`]);
    const client = new Client(front.head as Sender<Message>, { deadlineMs: 10_000 });

    const first = pidOf(await client.get({}));
    expect(first).toBeGreaterThan(0);

    // Killed from outside while idle: the supervisor restarts it without waiting for a request.
    process.kill(first, 'SIGKILL');
    await until(() => /exec#2: restarting in \d+ ms/.test(back?.stderr() ?? ''), 15_000, 'a restart', 50);
    // Requests until the new program is up get an error reply or wait in the mailbox, never silence.

    let second = first;
    await until(
      async () => {
        try {
          second = pidOf(await client.get({}));
        } catch (err) {
          if (!isSwarmError(err, ErrorCode.Remote)) throw err; // a deadline here would be silence
        }
        return second !== first;
      },
      30_000,
      'a second program',
      50,
    );
    expect(second).toBeGreaterThan(0);
    expect(() => process.kill(first, 0)).toThrow(/ESRCH/);

    // Dies while holding a request: that request is answered with ConnectionLost.
    const caught = await client.call('kill', {}).catch((e: unknown) => e);
    expect(caught).toMatchObject({ code: ErrorCode.Remote, details: { code: ErrorCode.ConnectionLost } });
    let third = second;
    await until(
      async () => {
        third = pidOf(await client.get({}).catch(() => ({ body: { pid: second } })));
        return third !== second;
      },
      30_000,
      'a third program',
      50,
    );

    expect(back.stderr()).toMatch(/exec#2.*restart/i);
    expect(back.proc.exitCode).toBeNull();
    expect(await back.stop()).toBe(0);
    expect(() => process.kill(third, 0)).toThrow(/ESRCH/);
  }, 120_000);
});
