import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/actors/backoff.js';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import type { StageDefinition } from '../../src/backends/stage.js';
import {
  backoffOptions,
  DEFAULT_RESTART_POLICY,
  isSupervised,
  type RestartPolicy,
} from '../../src/backends/stage-actor.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { quietLog, recorder } from './support.js';

const tick = () => new Promise<void>((r) => setImmediate(r));
const policy: RestartPolicy = {
  ...DEFAULT_RESTART_POLICY,
  random: () => 0,
  maxRestarts: 2,
  periodMs: 10_000,
};

/** Test stages: `echo` answers with its args; `crashy` throws on verb `kill`; `pass` forwards (middle, the default). */
function testStages(events: string[]): (name: string) => StageDefinition | undefined {
  let builds = 0;
  const defs: Record<string, StageDefinition> = {
    echo: {
      name: 'echo',
      role: 'terminal',
      summary: '',
      usage: '',
      example: '',
      create: (args, ctx) => ({
        start: async () => void events.push(`start ${ctx.name}`),
        stop: async () => void events.push(`stop ${ctx.name}`),
        handle(m: Message) {
          void m.ret?.send({ verb: 'set', args: { from: ctx.name, args } });
          m.ret?.close();
        },
      }),
    },
    crashy: {
      name: 'crashy',
      role: 'terminal',
      summary: '',
      usage: '',
      example: '',
      create: (_args, ctx) => {
        const build = ++builds;
        return {
          start: async () => void events.push(`start ${ctx.name} build ${build}`),
          handle(m: Message) {
            if (m.verb === 'kill') throw new Error(`crash in build ${build}`);
            void m.ret?.send({ verb: 'set', args: { build } });
            m.ret?.close();
          },
        };
      },
    },
    // Dies outside any request on verb `die` (like an exec stage whose program exits).
    dying: {
      name: 'dying',
      role: 'terminal',
      summary: '',
      usage: '',
      example: '',
      create: (_args, ctx) => {
        const build = ++builds;
        return {
          handle(m: Message) {
            if (m.verb === 'stop' && isSupervised(ctx)) {
              setImmediate(() => ctx.crash(new Error('lost my child')));
            }
            void m.ret?.send({ verb: 'set', args: { build } });
            m.ret?.close();
          },
        };
      },
    },
    stuck: {
      name: 'stuck',
      summary: '',
      usage: '',
      example: '',
      create: (_args, ctx) => ({
        stop: () => new Promise<void>(() => events.push(`stuck ${ctx.name}`)),
        handle: (m: Message) => ctx.downstream?.send(m),
      }),
    },
    pass: {
      name: 'pass',
      summary: '',
      usage: '',
      example: '',
      create: (_args, ctx) => ({ handle: (m: Message) => ctx.downstream?.send(m) }),
    },
  };
  return (name) => defs[name];
}

async function ask(chain: Chain, verb: Message['verb']): Promise<Message> {
  const ret = recorder();
  await chain.head?.send({ verb, args: {}, ret });
  await ret.done;
  return ret.replies[0] as Message;
}

describe('Chain', () => {
  it('starts stages last to first, forwards through them, stops first to last', async () => {
    const events: string[] = [];
    const chain = new Chain({ log: quietLog, clock: new SimulatedClock(), lookup: testStages(events) });
    await chain.start(['pass', 'pass', "echo 'a b' c"]);
    expect(await ask(chain, 'get')).toEqual({ verb: 'set', args: { from: 'echo#3', args: ['a b', 'c'] } });
    await chain.stop();
    expect(events).toEqual(['start echo#3', 'stop echo#3']);
    expect(chain.stages.map((s) => s.status)).toEqual(['stopped', 'stopped', 'stopped']);
  });

  it('names the argument and the known stages for an unknown stage', async () => {
    const chain = new Chain({ log: quietLog, clock: new SimulatedClock(), lookup: testStages([]) });
    await expect(chain.start(['echo', 'nope x'])).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringMatching(/argument 2: unknown stage "nope"/),
    });
  });

  it('answers the request caught in a crash, restarts the stage after backoff, keeps serving', async () => {
    const events: string[] = [];
    const clock = new SimulatedClock();
    const chain = new Chain({ log: quietLog, clock, policy, lookup: testStages(events) });
    await chain.start(['pass', 'crashy']);
    expect((await ask(chain, 'get')).args).toEqual({ build: 1 });
    const crashed = await ask(chain, 'kill');
    expect(crashed).toMatchObject({ verb: 'error', args: { code: ErrorCode.ActorFailed, status: 500 } });
    expect(String((crashed.args as { message: string }).message)).toMatch(
      /crashy#2 failed: crash in build 1/,
    );
    // A request sent during the backoff waits in the mailbox and is served by the new instance.
    const ret = recorder();
    await chain.head?.send({ verb: 'get', args: {}, ret });
    await tick();
    expect(ret.replies).toEqual([]);
    expect(chain.stages[1]?.status).toBe('restarting');
    clock.advance(backoffDelay(0, backoffOptions(policy)));
    await ret.done;
    expect(ret.replies[0]?.args).toEqual({ build: 2 });
    expect(events).toEqual(['start crashy#2 build 1', 'start crashy#2 build 2']);
    await chain.stop();
  });

  it('restarts a stage that reports a crash outside any request; requests meanwhile wait', async () => {
    const clock = new SimulatedClock();
    const chain = new Chain({ log: quietLog, clock, policy, lookup: testStages([]) });
    await chain.start(['dying']);
    expect((await ask(chain, 'stop')).args).toEqual({ build: 1 });
    await tick();
    expect(chain.stages[0]?.status).toBe('restarting');
    const ret = recorder();
    await chain.head?.send({ verb: 'get', args: {}, ret });
    clock.advance(backoffDelay(0, backoffOptions(policy)));
    await ret.done;
    expect(ret.replies[0]?.args).toEqual({ build: 2 });
    expect(chain.stages[0]?.restartCount).toBe(1);
    await chain.stop();
  });

  it('a stage that never finishes stopping is left behind after stopTimeoutMs; the rest still stop', async () => {
    const events: string[] = [];
    const clock = new SimulatedClock();
    const chain = new Chain({ log: quietLog, clock, lookup: testStages(events), stopTimeoutMs: 500 });
    await chain.start(['stuck', 'echo']);
    const stopping = chain.stop();
    await tick();
    expect(events).toEqual(['start echo#2', 'stuck stuck#1']);
    clock.advance(500);
    await stopping;
    expect(events).toEqual(['start echo#2', 'stuck stuck#1', 'stop echo#2']);
  });

  it('gives up after the restart intensity is exceeded and refuses requests with an error', async () => {
    const clock = new SimulatedClock();
    const failed: string[] = [];
    const chain = new Chain({
      log: quietLog,
      clock,
      policy,
      lookup: testStages([]),
      onStageFailed: (stage, err) => failed.push(`${stage.name}: ${err.message}`),
    });
    await chain.start(['crashy']);
    for (let i = 0; i < 3; i++) {
      await ask(chain, 'kill');
      await tick();
      clock.advance(1_000); // past any backoff so far, well inside the 10 s period
      await tick();
    }
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/crashy#1: .*crashed more than 2 times/);
    expect(await ask(chain, 'get')).toMatchObject({
      verb: 'error',
      args: { code: ErrorCode.ActorStopped, status: 503 },
    });
    await chain.stop();
  });

  it('backoff doubles from min to max with jitter on top', () => {
    const p = { ...DEFAULT_RESTART_POLICY, random: () => 0.5 };
    expect([0, 1, 2, 10].map((n) => Math.round(backoffDelay(n, backoffOptions(p))))).toEqual([
      110, 220, 440, 5500,
    ]);
  });
});
