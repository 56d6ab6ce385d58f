/**
 * swarmd's added latency against a bare Node reverse proxy's (issue 11), in the same run, in front of
 * the same private dockerd: `GET /v1.41/containers/json` p50 over a keep-alive connection, minus the
 * same request straight to dockerd, measured back to back. Two pairs: in this process (the chain
 * `dockerserver → dockerclient` vs `bench/bare-proxy.ts` started here) and as processes of their own
 * (a `swarmd` process vs the bare proxy run by `tsx` in its own process). Goal: swarmd's added latency
 * ≤ 1.2 × the bare proxy's. Needs root (a private dockerd through the test harness).
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Chain } from '../src/backends/chain.js';
import { systemClock } from '../src/clock.js';
import { docker } from '../test/harness/docker-cli.js';
import { type SwarmdProcess, startDaemons, startSwarmd, stopDaemons } from '../test/harness/index.js';
import { startBareProxy } from './bare-proxy.js';
import { runSuite, sequentialP50, unixGetter } from './lib.js';

const PATH = '/v1.41/containers/json';

async function p50(socketPath: string, n = 300): Promise<number> {
  const client = unixGetter(socketPath, PATH);
  try {
    return await sequentialP50(client.get, n);
  } finally {
    client.close();
  }
}

/** The latency `via` adds over the daemon itself, measured back to back (ms). */
async function added(via: string, daemon: string): Promise<number> {
  const direct = await p50(daemon);
  return (await p50(via)) - direct;
}

function startProxyProcess(listen: string, daemon: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'bare-proxy.ts'), listen, daemon],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bare proxy exited ${code}`)));
  });
}

const [daemon] = await startDaemons(1);
if (!daemon) throw new Error('no daemon');
const dir = mkdtempSync(join(tmpdir(), 'swp-'));
const chainSock = join(dir, 'chain.sock');
const proxySock = join(dir, 'proxy.sock');
const swarmdSock = join(dir, 'swarmd.sock');
const proxyProcSock = join(dir, 'proxyp.sock');
const chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
const proxy = await startBareProxy(proxySock, daemon.socket);
let swarmd: SwarmdProcess | undefined;
let proxyProc: ChildProcess | undefined;
try {
  await chain.start([`dockerserver unix://${chainSock}`, `dockerclient unix://${daemon.socket}`]);
  swarmd = await startSwarmd(
    [`dockerserver unix://${swarmdSock}`, `dockerclient unix://${daemon.socket}`],
    20_000,
    {
      logLevel: 'info',
    },
  );
  proxyProc = await startProxyProcess(proxyProcSock, daemon.socket);
  for (let i = 0; i < 5; i++)
    await docker(['run', '-d', '--network', 'none', 'busybox:local', 'sleep', '600'], { host: daemon.host });
  await runSuite('Chain overhead vs a bare reverse proxy (real dockerd)', [
    {
      name: 'containers/json added latency (p50 − direct): dockerserver → dockerclient in this process',
      unit: 'ms',
      lowerIsBetter: true,
      run: () => added(chainSock, daemon.socket),
      baseline: {
        name: 'bare node:http → undici proxy in this process',
        run: () => added(proxySock, daemon.socket),
      },
      goal: { ratio: 1.2 },
    },
    {
      name: 'containers/json added latency (p50 − direct): a swarmd process',
      unit: 'ms',
      lowerIsBetter: true,
      run: () => added(swarmdSock, daemon.socket),
      baseline: {
        name: 'bare proxy in a process of its own',
        run: () => added(proxyProcSock, daemon.socket),
      },
      goal: { ratio: 1.2 },
    },
  ]);
} finally {
  proxyProc?.kill('SIGTERM');
  await swarmd?.kill('SIGINT');
  await proxy.close();
  await chain.stop();
  await stopDaemons([daemon]);
  rmSync(dir, { recursive: true, force: true });
}
