/**
 * Simulator benchmarks: `docker ps -a` (container.list) of 10 containers on one engine against a plain
 * array filter + map of the same rows, and create+start+wait cycles per second (`true`, exits at once).
 * Run: `npx tsx bench/simulator.bench.ts`.
 */
import type { Message } from '../src/actors/message.js';
import type { DockerArgs } from '../src/backends/docker/api.js';
import { createSimulator, parseSimulatorArgs } from '../src/backends/simulator.js';
import { systemClock } from '../src/clock.js';
import { kSender, type Sender } from '../src/libchan/types.js';
import { type BenchCase, opsPerSecond, runSuite } from './lib.js';

const sim = createSimulator(parseSimulatorArgs(['bench', '--seed', '10']), { clock: systemClock });

function call(args: DockerArgs): Promise<Message> {
  return new Promise((resolve) => {
    const ret: Sender<Message> = {
      [kSender]: true,
      closed: false,
      send: (m) => {
        resolve(m);
        return undefined;
      },
      close: () => {},
    };
    void sim.handle({ verb: 'get', args, ret });
  });
}

const rows = (
  (await call({ op: 'container.list', query: { all: '1' } })).args as { body: Record<string, unknown>[] }
).body;

const LISTS = 20_000;
const CYCLES = 2_000;

const cases: BenchCase[] = [
  {
    name: 'container.list (10 containers, -a)',
    unit: 'lists/s',
    run: () =>
      opsPerSecond(LISTS, async () => {
        for (let i = 0; i < LISTS; i++) await call({ op: 'container.list', query: { all: '1' } });
      }),
    baseline: {
      name: 'array filter+map of the same 10 rows',
      run: () =>
        opsPerSecond(LISTS, async () => {
          for (let i = 0; i < LISTS; i++)
            await Promise.resolve(rows.filter((r) => r.State !== '').map((r) => ({ ...r })));
        }),
    },
  },
  {
    name: 'create + start + wait (`true`) + rm',
    unit: 'cycles/s',
    runs: 5,
    run: () =>
      opsPerSecond(CYCLES, async () => {
        for (let i = 0; i < CYCLES; i++) {
          const c = await call({
            op: 'container.create',
            query: {},
            body: { Image: 'busybox:local', Cmd: ['true'] },
          });
          const id = (c.args as { body: { Id: string } }).body.Id;
          const w = await call({ op: 'container.wait', id, query: { condition: 'next-exit' } });
          await call({ op: 'container.start', id, query: {} });
          for await (const _ of w.stream ?? []) break;
          await call({ op: 'container.remove', id, query: {} });
        }
      }),
  },
];

await runSuite('Simulator', cases);
