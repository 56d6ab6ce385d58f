/**
 * What `swarmd --admin` costs (issue 15). Two cases, each against the same thing with the admin off in
 * the same run:
 * - a `swarmd` process `dockerserver → simulator`, `GET /containers/json` over keep-alive HTTP
 *   (requests/s, 16 connections), with `--admin` on and one page (an SSE client) connected; also as
 *   requests per CPU second of the swarmd process (/proc/PID/stat, 10 ms ticks);
 * - the in-process chain benchmark (10 pass-through stages + echo, 64 in flight, bench/chain.bench.ts)
 *   with the admin's request observer, its 100 ms / 1 s sampler and an SSE page: the worst case, since a
 *   hop there costs tens of nanoseconds and each of the 11 stages samples its requests. Measured twice:
 *   requests per wall-clock second (the issue's measure), and requests per CPU second of this process
 *   (`process.cpuUsage`: the time other sessions' processes take the cores from this one is left out,
 *   which on 2 shared cores moves wall-clock ratios by ±10 % between runs).
 * Run: `npx tsx bench/admin.bench.ts` (or `npm run bench -- admin.bench.ts`).
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, get as httpGet, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Message } from '../src/actors/message.js';
import { Chain } from '../src/backends/chain.js';
import { startAdmin } from '../src/cli/admin/index.js';
import { RequestStats } from '../src/cli/admin/requests.js';
import { systemClock } from '../src/clock.js';
import type { Sender } from '../src/libchan/types.js';
import { freePort, type SwarmdProcess, startSwarmd } from '../test/harness/index.js';
import { drive, lookup } from './chain-kit.js';
import { type BenchCase, opsPerSecond, runSuite } from './lib.js';

const log = pino({ level: 'silent' });
const IN = 200_000;

/** An SSE client that reads (and discards) every event; returns a stop function and an event count. */
function sseClient(url: string): { stop: () => void; events: () => number } {
  let n = 0;
  const req = httpGet(`${url}/api/events`, (res) => {
    res.on('data', (d: Buffer) => {
      n += d.toString().split('\n\n').length - 1;
    });
  });
  req.on('error', () => {});
  return { stop: () => req.destroy(), events: () => n };
}

const passes = [...Array.from({ length: 10 }, () => 'pass'), 'echo'];
const off = new Chain({ log, clock: systemClock, lookup });
await off.start(passes);
const stats = new RequestStats();
const on = new Chain({ log, clock: systemClock, lookup, observer: stats.observer });
await on.start(passes);
const admin = await startAdmin({ url: 'http://127.0.0.1:0', chain: on, stats, clock: systemClock, log });
const inPage = sseClient(admin.url);

// The same chain as users run it, in swarmd processes of their own: admin off, and admin on + a page.
const dir = mkdtempSync(join(tmpdir(), 'admin-bench-'));
const adminPort = await freePort();
const procs: SwarmdProcess[] = [
  await startSwarmd([`dockerserver unix://${join(dir, 'off.sock')}`, 'simulator n1']),
  await startSwarmd([
    '--admin',
    `http://127.0.0.1:${adminPort}`,
    `dockerserver unix://${join(dir, 'on.sock')}`,
    'simulator n1',
  ]),
];
const procPage = sseClient(`http://127.0.0.1:${adminPort}`);

/** `n` GETs of /containers/json over `conns` keep-alive connections to one socket; returns req/s. */
function httpLoad(socketPath: string, n: number, conns = 16): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: conns });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        { socketPath, path: '/v1.41/containers/json', agent, headers: { host: 'docker' } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end();
    });
  return opsPerSecond(n, async () => {
    let sent = 0;
    const worker = async () => {
      while (sent < n) {
        sent++;
        await one();
      }
    };
    await Promise.all(Array.from({ length: conns }, worker));
  }).finally(() => agent.destroy());
}

/** CPU seconds (user + system, every thread) a process has used, from /proc (10 ms ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** {@link httpLoad}, as requests per CPU second of the swarmd process that served them. */
async function httpLoadCpu(socketPath: string, proc: SwarmdProcess, n: number): Promise<number> {
  const pid = proc.proc.pid as number;
  const before = cpuSeconds(pid);
  await httpLoad(socketPath, n);
  return n / Math.max(cpuSeconds(pid) - before, 0.01);
}

/** {@link drive}, as requests per CPU second of this process (user + system). */
async function driveCpu(to: Sender<Message>, n: number): Promise<number> {
  const before = process.cpuUsage();
  await drive(to, n);
  const used = process.cpuUsage(before);
  return n / ((used.user + used.system) / 1e6);
}

const HTTP = 8_000;
/** Requests per CPU-measured run: about half a CPU second of swarmd, so the 10 ms ticks are ~2 %. */
const HTTP_CPU = 24_000;
const cases: BenchCase[] = [
  {
    name: 'swarmd process dockerserver → simulator, GET /containers/json, --admin on + page connected',
    unit: 'req/s',
    run: () => httpLoad(join(dir, 'on.sock'), HTTP),
    baseline: { name: 'the same swarmd without --admin', run: () => httpLoad(join(dir, 'off.sock'), HTTP) },
    goal: { ratio: 0.95 },
  },
  {
    name: 'swarmd process dockerserver → simulator, GET /containers/json, --admin on + page connected, per CPU second of swarmd',
    unit: 'req/CPU-s',
    run: () => httpLoadCpu(join(dir, 'on.sock'), procs[1] as SwarmdProcess, HTTP_CPU),
    baseline: {
      name: 'the same swarmd without --admin',
      run: () => httpLoadCpu(join(dir, 'off.sock'), procs[0] as SwarmdProcess, HTTP_CPU),
    },
    goal: { ratio: 0.95 },
  },
  {
    name: 'in-process chain, 10 pass-through stages + echo, admin observer + sampler + page',
    unit: 'req/s',
    run: () => drive(on.head as Sender<Message>, IN),
    baseline: { name: 'the same chain without the admin', run: () => drive(off.head as Sender<Message>, IN) },
    goal: { ratio: 0.95 },
  },
  {
    name: 'in-process chain, 10 pass-through stages + echo, admin observer + sampler + page, per CPU second',
    unit: 'req/CPU-s',
    run: () => driveCpu(on.head as Sender<Message>, IN),
    baseline: {
      name: 'the same chain without the admin',
      run: () => driveCpu(off.head as Sender<Message>, IN),
    },
    goal: { ratio: 0.95 },
  },
];

await runSuite('Admin overhead', cases);
if (!process.argv.includes('--json'))
  console.log(`(SSE events received: in-process page ${inPage.events()}, swarmd page ${procPage.events()})`);
inPage.stop();
procPage.stop();
await admin.close();
await on.stop();
await off.stop();
for (const p of procs) await p.stop();
rmSync(dir, { recursive: true, force: true });
