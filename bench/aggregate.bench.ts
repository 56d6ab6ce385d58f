/**
 * Aggregate fan-out listing.
 * 1. `docker ps -a` over 100, 300 and 1,000 in-process children × 10 containers each, against the
 *    baseline of one child answering a list of the same total rows directly. Children are real
 *    `simulator` stage instances (full dockerd 20.10 rows, seeded `sleep infinity` containers). Health
 *    probes run on a clock that never fires, so only the listing is measured.
 * 2. Three real private dockerd daemons (test harness; needs root, skipped otherwise or with
 *    `--no-real`) × 10 containers: `GET /containers/json?all=1` through `dockerserver → aggregate →
 *    3 × dockerclient`, against the same request straight to each daemon, the slowest one's p50 being
 *    the baseline (goal ≤ 1.2×).
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Message } from '../src/actors/message.js';
import { replyPromise } from '../src/actors/reply.js';
import { parseAggregateArgs } from '../src/backends/aggregate/args.js';
import { createAggregate } from '../src/backends/aggregate.js';
import { Chain } from '../src/backends/chain.js';
import type { DockerResult } from '../src/backends/docker/api.js';
import type { StageInstance } from '../src/backends/stage.js';
import { SimulatedClock, systemClock } from '../src/clock.js';
import { type SimChild, SimChildren } from '../test/aggregate/sim-children.js';
import { docker } from '../test/harness/docker-cli.js';
import { startDaemons, stopDaemons } from '../test/harness/index.js';
import { type BenchCase, runSuite, sequentialP50, unixGetter } from './lib.js';

const PER_NODE = 10;
const REPS = 20;

async function aggregateOf(nodes: number): Promise<{ agg: StageInstance; children: SimChildren }> {
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
  return { agg, children };
}

/** Every child asked directly at once, rows concatenated: what the children cost, without the aggregate. */
async function listDirect(children: SimChild[], expected: number): Promise<void> {
  const answers = await Promise.all(
    children.map((c) => {
      const { sender, first } = replyPromise();
      c.address.send({ verb: 'ls', args: { op: 'container.list', query: { all: '1' } }, ret: sender });
      return first;
    }),
  );
  const rows = answers.flatMap((m) => (m.args as DockerResult).body as unknown[]);
  if (rows.length !== expected) throw new Error(`expected ${expected} rows, got ${rows.length}`);
}

async function list(target: StageInstance | SimChild, expected: number): Promise<void> {
  const { sender, first } = replyPromise();
  const msg: Message = { verb: 'ls', args: { op: 'container.list', query: { all: '1' } }, ret: sender };
  if ('address' in target) target.address.send(msg);
  else void target.handle(msg);
  const rows = ((await first).args as DockerResult).body as unknown[];
  if (rows.length !== expected) throw new Error(`expected ${expected} rows, got ${rows.length}`);
}

/** Median ms of REPS listings. */
const p50 = (fn: () => Promise<void>) => sequentialP50(fn, REPS);

const cases: BenchCase[] = [];
for (const nodes of [100, 300, 1000]) {
  const total = nodes * PER_NODE;
  const { agg, children } = await aggregateOf(nodes);
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
  if (nodes !== 1000) continue;
  // The aggregate's own share: the same children, asked without it.
  const kids = [...children.byName.values()];
  cases.push({
    name: `aggregate ps -a, ${nodes} nodes × ${PER_NODE} (vs its children asked directly)`,
    unit: 'ms p50',
    lowerIsBetter: true,
    runs: 5,
    run: () => p50(() => list(agg, total)),
    baseline: {
      name: `the ${nodes} children asked directly, rows concatenated`,
      run: () => p50(() => listDirect(kids, total)),
    },
  });
}
await runSuite('Aggregate', cases);

/** p50 of sequential GETs of `path` on one keep-alive connection per socket, all sockets asked at once. */
async function httpP50(sockets: string[], path: string): Promise<number> {
  const clients = sockets.map((s) => unixGetter(s, path));
  try {
    return await sequentialP50(() => Promise.all(clients.map((c) => c.get())), 100);
  } finally {
    for (const c of clients) c.close();
  }
}

if (process.argv.includes('--no-real') || process.getuid?.() !== 0) {
  console.log('\n(3 real daemons: skipped; needs root and no --no-real)');
} else {
  const ds = await startDaemons(3);
  const dir = mkdtempSync(join(tmpdir(), 'agb-'));
  const front = join(dir, 's.sock');
  const chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
  try {
    // `create` (not `run`): listed by ps -a like any container, and quick to make on a loaded host.
    for (const d of ds)
      for (let i = 0; i < PER_NODE; i++) {
        const r = await docker(['create', '--network', 'none', 'busybox:local', 'true'], { host: d.host });
        if (r.code !== 0) throw new Error(`docker create on ${d.name}: ${r.stderr}`);
      }
    const children = ds.map((d) => `"${d.name}=dockerclient unix://${d.socket}"`).join(' ');
    await chain.start([`dockerserver unix://${front}`, `aggregate ${children}`]);
    const path = '/v1.41/containers/json?all=1';
    const through = () => httpP50([front], path);
    await runSuite('Aggregate over 3 real dockerd', [
      {
        name: `GET containers/json?all=1 (3 × ${PER_NODE}) through dockerserver → aggregate`,
        unit: 'ms p50',
        lowerIsBetter: true,
        runs: 5,
        run: through,
        baseline: {
          name: `slowest daemon asked alone (${PER_NODE} rows)`,
          run: async () => {
            // One daemon after the other, each alone: the baseline.
            let slowest = 0;
            for (const d of ds) slowest = Math.max(slowest, await httpP50([d.socket], path));
            return slowest;
          },
        },
        goal: { ratio: 1.2 },
      },
      {
        name: `GET containers/json?all=1 (3 × ${PER_NODE}) through dockerserver → aggregate (vs the 3 asked at once)`,
        unit: 'ms p50',
        lowerIsBetter: true,
        runs: 5,
        run: through,
        baseline: {
          // Three daemons on two shared cores answer a simultaneous request slower than one alone:
          // this is the floor of any fan-out on this host, so the ratio is the aggregate's own cost.
          name: 'the 3 daemons asked directly at once, until the last answers',
          run: () =>
            httpP50(
              ds.map((d) => d.socket),
              path,
            ),
        },
      },
    ]);
  } finally {
    await chain.stop();
    await stopDaemons(ds);
    rmSync(dir, { recursive: true, force: true });
  }
}
process.exit(0);
