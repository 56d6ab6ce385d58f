/**
 * Runtime core: actor hops, ping-pong, ask, spawn/stop, idle heap, restart storm — each against a
 * baseline measured in the same run (raw queue loops, raw queueMicrotask, the failure-free twin).
 * Run: `node --expose-gc --import tsx bench/core.bench.ts --runs 5`.
 * @module
 */
import { type ActorRef, ActorSystem, ask, Supervisor } from '../src/actors/index.js';
import type { Sender } from '../src/libchan/types.js';
import { type BenchCase, opsPerSecond, runSuite } from './lib.js';

const IN_FLIGHT = 100;
const ONE_WAY = 1_000_000;
const PING_PONG = 1_000_000;
const ASKS = 300_000;
const SPAWNS = 200_000;
const IDLE = 100_000;

/** One-way sends, IN_FLIGHT at a time: send a round, wait until the actor handled it. */
async function oneWay(
  system: ActorSystem,
  spawn: (onCount: () => void) => ActorRef<number>,
): Promise<number> {
  let handled = 0;
  let roundDone: (() => void) | undefined;
  let roundEnd = 0;
  const ref = spawn(() => {
    if (++handled === roundEnd) roundDone?.();
  });
  const rate = await opsPerSecond(ONE_WAY, async () => {
    for (let sent = 0; sent < ONE_WAY; ) {
      roundEnd = handled + IN_FLIGHT;
      const round = new Promise<void>((r) => {
        roundDone = r;
      });
      for (let i = 0; i < IN_FLIGHT; i++) ref.send(sent++);
      await round;
    }
  });
  await system.shutdown();
  return rate;
}

function rawArrayDrain(): number {
  const q: number[] = [];
  let sum = 0;
  const handler = (n: number) => {
    sum += n;
  };
  const t0 = performance.now();
  for (let sent = 0; sent < ONE_WAY; ) {
    for (let i = 0; i < IN_FLIGHT; i++) q.push(sent++);
    let i = 0;
    while (i < q.length) handler(q[i++] as number);
    q.length = 0;
  }
  const ms = performance.now() - t0;
  if (sum < 0) throw new Error('unreachable');
  return (ONE_WAY / ms) * 1000;
}

async function pingPong(): Promise<number> {
  const system = new ActorSystem();
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => {
    done = r;
  });
  let pong: ActorRef<number> | undefined;
  const ping = system.spawn<number>({
    receive: (n) => {
      if (n >= PING_PONG) done();
      else pong?.send(n + 1);
    },
  });
  pong = system.spawn<number>({ receive: (n) => void ping.send(n + 1) });
  const rate = await opsPerSecond(PING_PONG, async () => {
    ping.send(0);
    await finished;
  });
  await system.shutdown();
  return rate;
}

function rawMicrotaskPingPong(): Promise<number> {
  return new Promise((resolve) => {
    let n = 0;
    const t0 = performance.now();
    const ping = () => {
      if (++n >= PING_PONG) resolve((PING_PONG / (performance.now() - t0)) * 1000);
      else queueMicrotask(pong);
    };
    const pong = () => {
      ++n;
      queueMicrotask(ping);
    };
    queueMicrotask(ping);
  });
}

type Echo = { n: number; replyTo: Sender<number> };

async function askRoundTrips(): Promise<number> {
  const system = new ActorSystem();
  const echo = system.spawn<Echo>({ receive: (m) => void m.replyTo.send(m.n) });
  let sum = 0;
  const rate = await opsPerSecond(ASKS, async () => {
    for (let i = 0; i < ASKS; i++) sum += await ask<Echo, number>(echo, (replyTo) => ({ n: i, replyTo }));
  });
  if (sum < 0) throw new Error('unreachable');
  await system.shutdown();
  return rate;
}

/** The floor of any in-process request/reply: a fresh promise resolved from a queued microtask. */
async function rawPromiseRoundTrips(): Promise<number> {
  let sum = 0;
  const rate = await opsPerSecond(ASKS, async () => {
    for (let i = 0; i < ASKS; i++)
      sum += await new Promise<number>((resolve) => queueMicrotask(() => resolve(i)));
  });
  if (sum < 0) throw new Error('unreachable');
  return rate;
}

async function spawnStop(): Promise<number> {
  const system = new ActorSystem();
  const behavior = { receive() {} };
  return opsPerSecond(SPAWNS, () => {
    for (let i = 0; i < SPAWNS; i++) void system.stop(system.spawn(behavior));
  });
}

async function idleHeap(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const system = new ActorSystem();
  const behavior = { receive() {} };
  const refs: ActorRef[] = new Array(IDLE);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < IDLE; i++) refs[i] = system.spawn(behavior);
  await new Promise((r) => setImmediate(r));
  gc();
  const after = process.memoryUsage().heapUsed;
  await system.shutdown();
  return (after - before) / IDLE;
}

const PREALLOCATED = new Error('boom (preallocated: no stack capture per failure)');

/**
 * One_for_one child; with `failEvery`, every n-th message throws — a fresh Error (with its stack
 * capture, ≈2.6 µs under tsx here) or, with `preallocated`, one shared Error, which isolates the
 * runtime's own cost per failure (catch, error-reply check, supervisor decision, re-incarnation).
 */
function supervisedOneWay(failEvery: number, preallocated = false): Promise<number> {
  const system = new ActorSystem();
  const sup = new Supervisor(system, { intensity: 1e9, period: 1000 });
  return oneWay(system, (onCount) =>
    sup.startChild<number>({
      id: 'child',
      behavior: () => ({
        receive(n: number) {
          onCount();
          if (failEvery > 0 && n % failEvery === failEvery - 1)
            throw preallocated ? PREALLOCATED : new Error('boom');
        },
      }),
    }),
  );
}

const cases: BenchCase[] = [
  {
    name: `one-way through an actor, ${IN_FLIGHT} in flight`,
    unit: 'msg/s',
    run: () => {
      const system = new ActorSystem();
      return oneWay(system, (onCount) => system.spawn<number>({ receive: onCount }));
    },
    baseline: { name: 'raw array-queue drain loop', run: rawArrayDrain },
    goal: { value: 10e6, ratio: 0.15 },
  },
  {
    name: 'ping-pong between two actors, 1 in flight',
    unit: 'msg/s',
    run: pingPong,
    baseline: { name: 'raw queueMicrotask ping-pong', run: rawMicrotaskPingPong },
    goal: { ratio: 0.4 },
  },
  {
    name: 'ask request/reply, fresh reply channel',
    unit: 'rt/s',
    run: askRoundTrips,
    baseline: { name: 'raw promise + queueMicrotask round trip', run: rawPromiseRoundTrips },
    goal: { value: 2.5e6 },
  },
  { name: 'spawn+stop plain actor', unit: 'actors/s', run: spawnStop, goal: { value: 500e3 } },
  {
    name: `heap per idle actor at ${IDLE / 1000}k`,
    unit: 'B',
    run: idleHeap,
    lowerIsBetter: true,
    goal: { value: 500 },
    runs: 3,
  },
  {
    name: 'restart storm: one_for_one child failing every 10th message',
    unit: 'msg/s',
    run: () => supervisedOneWay(10),
    baseline: { name: 'same child, never failing', run: () => supervisedOneWay(0) },
    goal: { ratio: 0.5 },
  },
  {
    name: 'restart storm, preallocated error (runtime cost only)',
    unit: 'msg/s',
    run: () => supervisedOneWay(10, true),
    baseline: { name: 'same child, never failing', run: () => supervisedOneWay(0) },
    goal: { ratio: 0.5 },
  },
];

await runSuite('Runtime core', cases);
