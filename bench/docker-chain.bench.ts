/**
 * Per-request overhead of `dockerserver → dockerclient` in front of a real private dockerd, against the
 * same daemon asked directly, in the same run: API round trips over keep-alive connections (`_ping`,
 * `containers/json`, container inspect; p50 in ms) and the wall time of real `docker ps` and
 * `docker run --rm` invocations. The chain runs in the bench process; one case asks the same chain run as
 * users run it, a `swarmd` process of its own. Goals (issue 5): ≤ +0.3 ms p50 per API request, `docker ps` ≤ 1.05 × direct.
 * Needs root (it starts a private dockerd through the test harness, installing docker.io if missing).
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Chain } from '../src/backends/chain.js';
import { systemClock } from '../src/clock.js';
import { docker } from '../test/harness/docker-cli.js';
import { type SwarmdProcess, startDaemons, startSwarmd, stopDaemons } from '../test/harness/index.js';
import { type BenchCase, runSuite, sequentialP50, unixGetter } from './lib.js';

/** p50 latency in ms of `n` sequential GETs on one keep-alive connection. */
async function p50(socketPath: string, path: string, n = 300): Promise<number> {
  const client = unixGetter(socketPath, path);
  try {
    return await sequentialP50(client.get, n);
  } finally {
    client.close();
  }
}

async function wall(host: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await docker(args, { host });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return performance.now() - t0;
}

const [daemon] = await startDaemons(1);
if (!daemon) throw new Error('no daemon');
const dir = mkdtempSync(join(tmpdir(), 'swb-'));
const front = join(dir, 's.sock');
const chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
// The same chain as users run it: swarmd in a process of its own (one more process to schedule).
const apart = join(dir, 'apart.sock');
let swarmd: SwarmdProcess | undefined;
try {
  await chain.start([`dockerserver unix://${front}`, `dockerclient unix://${daemon.socket}`]);
  swarmd = await startSwarmd(
    [`dockerserver unix://${apart}`, `dockerclient unix://${daemon.socket}`],
    20_000,
    {
      logLevel: 'info',
    },
  );
  for (let i = 0; i < 5; i++)
    await wall(daemon.host, ['run', '-d', '--network', 'none', 'busybox:local', 'sleep', '600']);
  const id = (await docker(['ps', '-q', '--no-trunc'], { host: daemon.host })).stdout.split(
    '\n',
  )[0] as string;
  const api = (name: string, path: string, via = front): BenchCase => ({
    name: `${name} p50 through dockerserver → dockerclient${via === apart ? ' (swarmd process)' : ''}`,
    unit: 'ms',
    lowerIsBetter: true,
    run: () => p50(via, path),
    baseline: { name: 'same request straight to dockerd', run: () => p50(daemon.socket, path) },
  });
  const cli = (name: string, args: string[], goal?: number): BenchCase => ({
    name: `docker ${name} wall time through the chain`,
    unit: 'ms',
    lowerIsBetter: true,
    runs: 7,
    run: () => wall(`unix://${front}`, args),
    baseline: { name: 'same command straight to dockerd', run: () => wall(daemon.host, args) },
    ...(goal ? { goal: { ratio: goal } } : {}),
  });
  await runSuite('Docker chain overhead (real dockerd)', [
    // dockerserver answers _ping itself from its cached version, so this row shows the front end alone.
    api('_ping', '/_ping'),
    api('containers/json', '/v1.41/containers/json'),
    api('container inspect', `/v1.41/containers/${id}/json`),
    api('containers/json', '/v1.41/containers/json', apart),
    cli('ps', ['ps'], 1.05),
    cli('run --rm', ['run', '--rm', '--network', 'none', 'busybox:local', 'true']),
  ]);
} finally {
  await swarmd?.kill('SIGINT');
  await chain.stop();
  await stopDaemons([daemon]);
  rmSync(dir, { recursive: true, force: true });
}
