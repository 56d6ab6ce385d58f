/**
 * Issue 13: swarmd's chain is one supervision tree on one ActorSystem (chain → stage supervisors →
 * stage actors, and under an aggregate its `children` supervisor → one supervisor per node), and a
 * node whose program keeps dying gives up alone: the aggregate keeps serving the other nodes, the
 * chain is not told a stage failed, and the node is rebuilt after a capped backoff.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import type { DockerResult } from '../../src/backends/docker/api.js';
import { DEFAULT_RESTART_POLICY } from '../../src/backends/stage-actor.js';
import { systemClock } from '../../src/clock.js';
import { until } from '../harness/until.js';
import { capturingLog, recorder } from './support.js';

async function get(chain: Chain, op: string): Promise<Message> {
  const ret = recorder();
  await chain.head?.send({ verb: 'get', args: { op, query: { all: '1' } }, ret });
  return (await ret.done)[0] as Message;
}

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.stop();
  chain = undefined;
});

describe('one supervision tree', () => {
  it('walks root → stages → aggregate children', async () => {
    chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
    await chain.start(['debug', 'aggregate "n1=simulator n1" "n2=simulator n2"']);
    const root = chain.supervisor;
    expect(root.childIds()).toEqual(['aggregate#2', 'debug#1']);
    const agg = root.childSupervisor('aggregate#2');
    expect(agg?.childIds()).toEqual(['children', 'aggregate#2']);
    expect(agg?.child('aggregate#2')?.state).toBe('running');
    const children = agg?.childSupervisor('children');
    expect(children?.childIds()).toEqual(['n1', 'n2']);
    for (const n of ['n1', 'n2']) expect(children?.childSupervisor(n)?.child(n)?.state).toBe('running');
    // Every stage and node runs on the chain's one system.
    expect(chain.system.counters().live).toBe(4);
    await chain.stop();
    expect(chain.system.counters().live).toBe(0);
  });

  it("listen's sessions and remote's link are actors of their stages", async () => {
    const sock = join(mkdtempSync(join(tmpdir(), 'swtree-')), 'l.sock');
    chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
    await chain.start([`listen unix://${sock}`, 'simulator n1']);
    const front = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
    const sessions = () => chain?.supervisor.childSupervisor('listen#1')?.childSupervisor('actors');
    try {
      await front.start([`remote unix://${sock}`]);
      const links = front.supervisor.childSupervisor('remote#1')?.childSupervisor('actors');
      expect(links?.childIds()).toEqual([`link unix://${sock} #1`]);
      await until(() => sessions()?.childIds().length === 1, 5000, 'the session actor');
      expect(sessions()?.childIds()[0]).toMatch(/^session /);
      // A request crosses the link and comes back.
      const reply = await get(front, 'ping');
      expect(reply.verb).toBe('set');
    } finally {
      await front.stop();
    }
    // The peer went: its session actor ends by itself.
    await until(() => sessions()?.childIds().length === 0, 5000, 'the session actor to end');
  });

  it('a node that keeps crashing gives up alone; the others keep serving; it is rebuilt later', async () => {
    const { log, lines } = capturingLog();
    const failed: string[] = [];
    chain = new Chain({
      log,
      clock: systemClock,
      policy: { ...DEFAULT_RESTART_POLICY, maxRestarts: 2, minBackoffMs: 20, maxBackoffMs: 40 },
      onStageFailed: (s, err) => failed.push(`${s.name}: ${err.message}`),
    });
    // `bad` is a real program that exits 150 ms after each start: a node that dies for good.
    await chain.start([
      `aggregate "n1=simulator n1 --seed 2" "n2=simulator n2 --seed 2" "bad=exec node -e 'setTimeout(()=>process.exit(3),150)'" --deadline 500`,
    ]);
    // Live traffic to the healthy nodes while `bad` crashes three times and its supervisor gives up.
    const seen: number[] = [];
    const running = chain;
    await until(
      async () => {
        if (lines.some((l) => /stage bad: gave up; rebuilding it in \d+ ms/.test(l))) return true;
        const reply = await get(running, 'container.list');
        expect(reply.verb).toBe('set');
        seen.push(((reply.args as DockerResult).body as unknown[]).length);
        return false;
      },
      20_000,
      () => `a give-up:\n${lines.join('')}`,
      50,
    );
    expect(lines.filter((l) => /stage bad: restarting in \d+ ms/.test(l)).length).toBeGreaterThanOrEqual(2);
    // Both healthy nodes answered every listing (2 seeded containers each).
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((n) => n === 4)).toBe(true);
    // The give-up went no further: no stage failed, the aggregate still runs and serves.
    expect(failed).toEqual([]);
    const agg = chain.supervisor.childSupervisor('aggregate#1');
    expect(agg?.status).toBe('running');
    expect(agg?.child('aggregate#1')?.state).toBe('running');
    const after = await get(chain, 'container.list');
    expect(((after.args as DockerResult).body as unknown[]).length).toBe(4);
    // The children supervisor rebuilds `bad` after its backoff (≈1 s): a fresh program starts.
    const restartsBefore = lines.filter((l) => /program .* exited with code 3/.test(l)).length;
    await until(
      () => lines.filter((l) => /program .* exited with code 3/.test(l)).length > restartsBefore,
      10_000,
      'the rebuilt node to start (and die) again',
    );
    expect(failed).toEqual([]);
  }, 40_000);
});
