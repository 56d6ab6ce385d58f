/**
 * Chain benchmarks: requests/s through 1, 3 and 10 pass-through stages in one process (baseline: the
 * same requests sent straight to the last stage), and across a listen/remote link over unix and ws
 * (baseline: the same three stages in-process). 64 requests are kept in flight.
 * Run: `npx tsx bench/chain.bench.ts` (or `npm run bench -- chain.bench.ts`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Message } from '../src/actors/message.js';
import { Chain } from '../src/backends/chain.js';
import type { ListenInstance } from '../src/backends/listen.js';
import { systemClock } from '../src/clock.js';
import type { Sender } from '../src/libchan/types.js';
import { drive, lookup } from './chain-kit.js';
import { type BenchCase, runSuite } from './lib.js';

const log = pino({ level: 'silent' });

async function chain(commands: string[]): Promise<Chain> {
  const c = new Chain({ log, clock: systemClock, lookup });
  await c.start(commands);
  return c;
}

const IN = 200_000;
const LINK = 20_000;
const chains: Chain[] = [];
const keep = async (commands: string[]) => {
  const c = await chain(commands);
  chains.push(c);
  return c.head as Sender<Message>;
};
const passes = (n: number) => [...Array.from({ length: n }, () => 'pass'), 'echo'];

const direct = await keep(['echo']);
const inproc = { 1: await keep(passes(1)), 3: await keep(passes(3)), 10: await keep(passes(10)) };
const threeInProc = await keep(['pass', 'pass', 'echo']);
const dir = mkdtempSync(join(tmpdir(), 'chain-bench-'));
await keep([`listen unix://${join(dir, 'l.sock')}`, 'echo']);
const overUnix = await keep([`remote unix://${join(dir, 'l.sock')}`]);
const wsListen = await chain(['listen ws://127.0.0.1:0', 'echo']);
chains.push(wsListen);
const wsUrl = (wsListen.stages[0]?.instance as ListenInstance | undefined)?.address as string;
const overWs = await keep([`remote ${wsUrl}`]);

const directBaseline = { name: 'straight to the last stage', run: () => drive(direct, IN) };
const cases: BenchCase[] = [
  ...([1, 3, 10] as const).map(
    (n): BenchCase => ({
      name: `in-process chain, ${n} pass-through stage${n > 1 ? 's' : ''} + echo`,
      unit: 'req/s',
      run: () => drive(inproc[n], IN),
      baseline: directBaseline,
    }),
  ),
  {
    name: 'remote → listen → echo over unix socket',
    unit: 'req/s',
    run: () => drive(overUnix, LINK),
    baseline: { name: 'in-process pass → pass → echo', run: () => drive(threeInProc, LINK) },
  },
  {
    name: 'remote → listen → echo over ws (loopback)',
    unit: 'req/s',
    run: () => drive(overWs, LINK),
    baseline: { name: 'in-process pass → pass → echo', run: () => drive(threeInProc, LINK) },
  },
];

await runSuite('Chain', cases);
for (const c of chains) await c.stop();
rmSync(dir, { recursive: true, force: true });
