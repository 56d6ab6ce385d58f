/**
 * Aggregate fan-out listing: `docker ps -a` over 100, 300 and 1,000 in-process children × 10 containers
 * each, against the baseline of one child answering a list of the same total rows directly.
 * Children are real `simulator` stage instances (full dockerd 20.10 rows, seeded `sleep infinity`
 * containers). Health probes run on a clock that never fires, so only the listing is measured.
 * @module
 */
import { pino } from 'pino';
import type { Message } from '../src/actors/message.js';
import { parseAggregateArgs } from '../src/backends/aggregate/args.js';
import { replySink } from '../src/backends/aggregate/reply.js';
import { createAggregate } from '../src/backends/aggregate.js';
import type { DockerResult } from '../src/backends/docker/api.js';
import type { StageInstance } from '../src/backends/stage.js';
import { SimulatedClock } from '../src/clock.js';
import { type SimChild, SimChildren } from '../test/aggregate/sim-children.js';
import { type BenchCase, runSuite } from './lib.js';

const PER_NODE = 10;
const REPS = 20;

async function aggregateOf(nodes: number): Promise<StageInstance> {
  const children = new SimChildren(new SimulatedClock());
  const commands = Array.from({ length: nodes }, (_, i) => `simulator n${i + 1} --seed ${PER_NODE}`);
  const agg = createAggregate(parseAggregateArgs(commands), {
    name: 'bench',
    downstream: undefined,
    log: pino({ level: 'silent' }),
    clock: children.clock,
    spawnStage: children.spawn,
  });
  await agg.start?.();
  await new Promise((r) => setImmediate(r));
  return agg;
}

async function list(target: StageInstance | SimChild, expected: number): Promise<void> {
  const { sender, first } = replySink();
  const msg: Message = { verb: 'ls', args: { op: 'container.list', query: { all: '1' } }, ret: sender };
  if ('address' in target) target.address.send(msg);
  else void target.handle(msg);
  const rows = ((await first).args as DockerResult).body as unknown[];
  if (rows.length !== expected) throw new Error(`expected ${expected} rows, got ${rows.length}`);
}

/** Median ms of REPS listings. */
async function p50(fn: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

const cases: BenchCase[] = [];
for (const nodes of [100, 300, 1000]) {
  const total = nodes * PER_NODE;
  const agg = await aggregateOf(nodes);
  const single = new SimChildren(new SimulatedClock()).make(['one', '--seed', String(total)]);
  cases.push({
    name: `aggregate ps -a, ${nodes} nodes × ${PER_NODE}`,
    unit: 'ms p50',
    lowerIsBetter: true,
    runs: 5,
    run: () => p50(() => list(agg, total)),
    baseline: { name: `one node, ${total} rows`, run: () => p50(() => list(single, total)) },
    ...(nodes === 1000 ? { goal: { value: 50 } } : {}),
  });
}
await runSuite('Aggregate', cases);
process.exit(0);
