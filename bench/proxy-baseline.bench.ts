/**
 * swarmd's added latency against a bare Node reverse proxy's (issue 11), in the same run, in front of
 * the same private dockerd: `GET /v1.41/containers/json` p50 over a keep-alive connection, minus the
 * same request straight to dockerd, measured back to back. Two pairs: in this process (the chain
 * `dockerserver → dockerclient` vs `bench/bare-proxy.ts` started here) and as processes of their own
 * (a `swarmd` process vs the bare proxy in its own process). Goal: swarmd's added latency ≤ 1.2 × the
 * bare proxy's. Needs root (a private dockerd through the test harness).
 *
 * The swarmd process is the one a user of the npm package runs: this checkout's sources compiled once
 * (`tsc -p tsconfig.build.json`) into a package folder of its own (`bin/swarmd.js` + `dist/`, this
 * checkout's node_modules linked), where the launcher finds no `src/` and runs `dist/cli/main.js`. (In
 * a checkout bin/swarmd.js runs the TypeScript sources through tsx, which a user never does.) The
 * bare proxy process is compiled the same way (plain JavaScript, no tsx).
 *
 * Flags: `--runs N` (lib.ts), `--also-tsx` adds the checkout's own launcher (sources through tsx) as a
 * third pair, `--cpu-prof DIR` runs the swarmd process and the bare proxy process under `node --cpu-prof`
 * (their profiles land in DIR when the bench stops them), `--requests N` per measurement (default 300).
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pino } from 'pino';
import { Chain } from '../src/backends/chain.js';
import { systemClock } from '../src/clock.js';
import { docker } from '../test/harness/docker-cli.js';
import {
  REPO_BIN,
  type SwarmdProcess,
  startDaemons,
  startSwarmd,
  stopDaemons,
} from '../test/harness/index.js';
import { startBareProxy } from './bare-proxy.js';
import { type BenchCase, runSuite, sequentialP50, unixGetter } from './lib.js';

const PATH = '/v1.41/containers/json';
const ROOT = join(import.meta.dirname, '..');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const REQUESTS = Number(flag('--requests') ?? 300);
const CPU_PROF = flag('--cpu-prof');

async function p50(socketPath: string, n = REQUESTS): Promise<number> {
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

/** User + system CPU time of process `pid` so far (ms), from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** CPU time process `pid` spends per request through `via` (µs), over `n` sequential requests. */
async function cpuPerRequest(pid: number, via: string, n = 2000): Promise<number> {
  const client = unixGetter(via, PATH);
  try {
    await client.get();
    const before = cpuMs(pid);
    for (let i = 0; i < n; i++) await client.get();
    return ((cpuMs(pid) - before) * 1000) / n;
  } finally {
    client.close();
  }
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;

/**
 * Wraps a case's two measures to keep every round's pair (runSuite warms both up once, then measures
 * the baseline and the case in turn), so the output can show the spread of each round's ratio.
 */
function recordRounds(c: BenchCase): { summary(): string } {
  const values: number[] = [];
  const bases: number[] = [];
  const run = c.run;
  c.run = async () => {
    const v = await run();
    values.push(v);
    return v;
  };
  const base = c.baseline;
  if (base) {
    const baseRun = base.run;
    base.run = async () => {
      const v = await baseRun();
      bases.push(v);
      return v;
    };
  }
  return {
    summary() {
      const v = values.slice(1);
      const b = bases.slice(1);
      const ratios = v.map((x, i) => x / (b[i] as number));
      return `- ${c.name}: ${range(v)} ${c.unit}; baseline ${range(b)}; ratio per round ${range(ratios)}`;
    },
  };
}

/**
 * Compiles this checkout into `dir` as an installed package would hold it (`bin/swarmd.js`, `dist/`,
 * `package.json`, node_modules linked) and the bare proxy next to it; returns the two entry points.
 */
function buildPackage(dir: string): { bin: string; bareProxy: string } {
  const t0 = performance.now();
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(
      process.execPath,
      [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')],
      {
        stdio: 'inherit',
      },
    );
  } catch {
    // tsc still emits on type errors (someone's unfinished edit in a shared checkout): say so, measure it.
    console.log('tsc reported type errors (above); the JavaScript it emitted is measured anyway');
  }
  const proxyOut = join(dir, 'proxy');
  execFileSync(
    process.execPath,
    [
      tsc,
      join(import.meta.dirname, 'bare-proxy.ts'),
      ...['--outDir', proxyOut, '--module', 'NodeNext', '--target', 'ES2022', '--skipLibCheck'],
    ],
    { stdio: 'inherit' },
  );
  mkdirSync(join(dir, 'bin'));
  copyFileSync(REPO_BIN, join(dir, 'bin', 'swarmd.js'));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  writeFileSync(join(proxyOut, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  console.log(
    `built this checkout into ${dir} (dist/ + bin/swarmd.js, as installed from npm) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { bin: join(dir, 'bin', 'swarmd.js'), bareProxy: join(proxyOut, 'bare-proxy.js') };
}

function startProxyProcess(
  script: string,
  listen: string,
  daemon: string,
  prof?: string,
): Promise<ChildProcess> {
  const node = prof ? ['--cpu-prof', '--cpu-prof-dir', prof, '--cpu-prof-name', 'bare-proxy.cpuprofile'] : [];
  const child = spawn(process.execPath, [...node, script, listen, daemon], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bare proxy exited ${code}`)));
  });
}

/**
 * A launcher that runs `bin` under `node --cpu-prof` (node refuses that flag in NODE_OPTIONS), passing
 * its output through and SIGINT/SIGTERM on: node writes the profile when swarmd exits.
 */
function profilingLauncher(bin: string, profDir: string): string {
  const launcher = join(dirname(bin), 'swarmd-cpu-prof.mjs');
  writeFileSync(
    launcher,
    [
      "import { spawn } from 'node:child_process';",
      `const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', ${JSON.stringify(profDir)}, ${JSON.stringify(bin)}, ...process.argv.slice(2)], { stdio: 'inherit' });`,
      "for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));",
      "child.on('exit', (code) => process.exit(code ?? 1));",
      '',
    ].join('\n'),
  );
  return launcher;
}

/** Starts swarmd from `bin` (under `node --cpu-prof` when `prof` names a folder). */
function swarmdFrom(bin: string, sock: string, daemon: string, prof?: string): Promise<SwarmdProcess> {
  return startSwarmd([`dockerserver unix://${sock}`, `dockerclient unix://${daemon}`], 20_000, {
    bin: prof ? profilingLauncher(bin, prof) : bin,
    logLevel: 'info',
  });
}

const dir = mkdtempSync(join(tmpdir(), 'swp-'));
const pkg = buildPackage(join(dir, 'pkg'));
const [daemon] = await startDaemons(1);
if (!daemon) throw new Error('no daemon');
const chainSock = join(dir, 'chain.sock');
const proxySock = join(dir, 'proxy.sock');
const swarmdSock = join(dir, 'swarmd.sock');
const tsxSock = join(dir, 'swarmd-tsx.sock');
const proxyProcSock = join(dir, 'proxyp.sock');
const chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
const proxy = await startBareProxy(proxySock, daemon.socket);
const swarmds: SwarmdProcess[] = [];
let proxyProc: ChildProcess | undefined;
try {
  await chain.start([`dockerserver unix://${chainSock}`, `dockerclient unix://${daemon.socket}`]);
  swarmds.push(await swarmdFrom(pkg.bin, swarmdSock, daemon.socket, CPU_PROF));
  if (process.argv.includes('--also-tsx')) swarmds.push(await swarmdFrom(REPO_BIN, tsxSock, daemon.socket));
  proxyProc = await startProxyProcess(pkg.bareProxy, proxyProcSock, daemon.socket, CPU_PROF);
  for (let i = 0; i < 5; i++)
    await docker(['run', '-d', '--network', 'none', 'busybox:local', 'sleep', '600'], { host: daemon.host });
  const bareProcess = {
    name: 'bare proxy in a process of its own (compiled JS)',
    run: () => added(proxyProcSock, daemon.socket),
  };
  const cases: BenchCase[] = [
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
      name: 'containers/json added latency (p50 − direct): a swarmd process as installed (bin/swarmd.js → dist/)',
      unit: 'ms',
      lowerIsBetter: true,
      run: () => added(swarmdSock, daemon.socket),
      baseline: { ...bareProcess },
      goal: { ratio: 1.2 },
    },
  ];
  if (swarmds.length > 1)
    cases.push({
      name: "containers/json added latency (p50 − direct): a swarmd process from the checkout's launcher (src/ through tsx)",
      unit: 'ms',
      lowerIsBetter: true,
      run: () => added(tsxSock, daemon.socket),
      baseline: { ...bareProcess },
      goal: { ratio: 1.2 },
    });
  const swarmdPid = swarmds[0]?.proc.pid;
  const proxyPid = proxyProc.pid;
  // Under --cpu-prof the pid is the launcher's, not swarmd's: no CPU figure then.
  if (!CPU_PROF && swarmdPid !== undefined && proxyPid !== undefined)
    cases.push({
      name: 'CPU per request (user + system, 2,000 sequential containers/json): the swarmd process as installed',
      unit: 'µs',
      lowerIsBetter: true,
      run: () => cpuPerRequest(swarmdPid, swarmdSock),
      baseline: { name: 'the bare proxy process', run: () => cpuPerRequest(proxyPid, proxyProcSock) },
    });
  const rounds = cases.map(recordRounds);
  await runSuite('Chain overhead vs a bare reverse proxy (real dockerd)', cases);
  console.log('\nper round (baseline measured just before the case, warm-up left out):');
  for (const r of rounds) console.log(r.summary());
} finally {
  if (proxyProc && proxyProc.exitCode === null) {
    const exited = new Promise((r) => proxyProc?.once('exit', r));
    proxyProc.kill('SIGTERM');
    await exited;
  }
  // SIGINT: a clean exit, which is when node writes a --cpu-prof profile.
  for (const s of swarmds) await s.kill('SIGINT');
  await proxy.close();
  await chain.stop();
  await stopDaemons([daemon]);
  rmSync(dir, { recursive: true, force: true });
  if (CPU_PROF) console.log(`CPU profiles of the swarmd process and the bare proxy process: ${CPU_PROF}`);
}
