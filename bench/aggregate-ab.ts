/**
 * Paired before/after of the aggregate's `ps -a` fan-out, for a machine too noisy for separate runs:
 * two source trees are loaded into one process, each builds its own aggregate over N simulator
 * children × 10 containers, and their listings alternate (order flipped every round), so load drift
 * hits both alike. Prints both p50s, the median of the per-round after/before ratios, and one engine
 * answering the same rows (the usual baseline) measured in the same rounds.
 *
 *     git archive <rev> | tar -x -C /tmp/old && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *     node --expose-gc --import tsx bench/aggregate-ab.ts /tmp/old [nodes=1000] [rounds=60]
 *
 * Not a `*.bench.ts` suite (it needs a second tree), so `npm run bench` does not run it.
 * @module
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';

const [oldRoot, nodesArg, roundsArg] = process.argv.slice(2);
if (!oldRoot) throw new Error('usage: bench/aggregate-ab.ts <old tree> [nodes] [rounds]');
const nodes = Number(nodesArg ?? 1000);
const rounds = Number(roundsArg ?? 60);
const here = resolve(fileURLToPath(import.meta.url), '../..');

/** Builds an aggregate over `nodes` children, and one engine with all the rows, from the tree at `root`. */
async function build(root: string) {
  const { parseAggregateArgs } = await import(`${root}/src/backends/aggregate/args.ts`);
  // The reply channel is this tree's for both (a Sender is known by a global symbol, not its module).
  const { replyPromise } = await import(`${here}/src/actors/reply.ts`);
  const { createAggregate } = await import(`${root}/src/backends/aggregate.ts`);
  const { SimulatedClock } = await import(`${root}/src/clock.ts`);
  const { SimChildren } = await import(`${root}/test/aggregate/sim-children.ts`);
  const children = new SimChildren(new SimulatedClock());
  const commands = Array.from({ length: nodes }, (_, i) => `simulator n${i + 1} --seed 10`);
  const agg = createAggregate(parseAggregateArgs(commands), {
    name: 'ab',
    downstream: undefined,
    log: pino({ level: 'silent' }),
    clock: children.clock,
    spawnStage: children.spawn,
  });
  await agg.start?.();
  const single = new SimChildren(new SimulatedClock()).make(['one', '--seed', String(nodes * 10)]);
  // biome-ignore lint/suspicious/noExplicitAny: the two trees' types are not the same module
  const list = async (target: any) => {
    const { sender, first } = replyPromise();
    const msg = { verb: 'ls', args: { op: 'container.list', query: { all: '1' } }, ret: sender };
    if ('address' in target) target.address.send(msg);
    else void target.handle(msg);
    const rows = ((await first).args as { body: unknown[] }).body;
    if (rows.length !== nodes * 10) throw new Error(`${root}: ${rows.length} rows`);
  };
  return { agg: () => list(agg), single: () => list(single) };
}

const before = await build(resolve(oldRoot));
const after = await build(here);
const time = async (fn: () => Promise<void>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};
for (let i = 0; i < 3; i++) {
  await before.agg();
  await after.agg();
  await after.single();
}
const t = { before: [] as number[], after: [] as number[], single: [] as number[] };
for (let i = 0; i < rounds; i++) {
  if (i % 2) {
    t.before.push(await time(before.agg));
    t.after.push(await time(after.agg));
  } else {
    t.after.push(await time(after.agg));
    t.before.push(await time(before.agg));
  }
  t.single.push(await time(after.single));
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1] as number;
const paired = med(t.after.map((a, i) => a / (t.before[i] as number)));
console.log(
  `${nodes} nodes × 10, ${rounds} rounds: before ${med(t.before).toFixed(1)} ms p50, after ${med(t.after).toFixed(1)} ms p50, ` +
    `after/before (median of paired ratios) ${paired.toFixed(2)}; one engine, same rows ${med(t.single).toFixed(1)} ms ` +
    `(before ${(med(t.before) / med(t.single)).toFixed(2)}×, after ${(med(t.after) / med(t.single)).toFixed(2)}×)`,
);
process.exit(0);
