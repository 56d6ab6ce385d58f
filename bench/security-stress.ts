/**
 * Security stress (issue 10 item 2): starts a real swarmd with `listen unix://… --token T` in a child
 * process, runs the four memory probes of the report against it one after another as a peer that
 * never authenticates, samples the child's RSS (/proc/<pid>/status VmRSS) before, during and after
 * each, and prints the growth; then a good client (the token) must still be served. Each probe gets
 * a fresh daemon (RSS never shrinks back, so a shared one would hide a later probe's growth). Each
 * must grow RSS by less than 64 MB; exit code 1 otherwise.
 *
 *     npx tsx bench/security-stress.ts [--root DIR]
 *
 * `--root` runs the swarmd of another checkout (e.g. an old main unpacked with `git archive`) to get
 * the "before" numbers. Unix socket in a temp dir only; every loop is bounded; it stops by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RefKind } from '../src/libchan/frames.js';
import { unix } from '../src/libchan/index.js';
import { pipe } from '../src/libchan/pipe.js';
import { dataFrame, openFrame, pingFrame, RawPeer } from '../test/libchan/raw-peer.js';

const LIMIT_MB = 64;
const PROBE_TIMEOUT_MS = 60_000;
const TOKEN = 'stress-token-0123456789abcdef';

const rootArg = process.argv.indexOf('--root');
const root = resolve(rootArg > 0 ? (process.argv[rootArg + 1] as string) : '.');

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function startSwarmd(sock: string): Promise<ChildProcess> {
  const proc = spawn(
    process.execPath,
    [
      join(root, 'bin/swarmd.js'),
      '--log-level',
      'warn',
      `listen unix://${sock} --token ${TOKEN}`,
      'simulator n1',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  proc.stderr?.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const p = await RawPeer.open(sock);
      p.destroy();
      return proc;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`swarmd did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

interface Probe {
  name: string;
  /** Connects and floods; resolves with the bytes sent. */
  run(sock: string): Promise<{ peer: RawPeer; sent: number }>;
}

const MiB = 1 << 20;
const probes: Probe[] = [
  {
    name: '300 x 1 MiB PINGs, peer never reads',
    async run(sock) {
      const peer = await RawPeer.open(sock, false);
      const ping = pingFrame(MiB);
      return { peer, sent: await peer.pour((i) => (i < 300 ? ping : undefined), 300 * MiB) };
    },
  },
  {
    name: 'unfinished multi-frame messages on 3 channels (300 MiB)',
    async run(sock) {
      const peer = await RawPeer.open(sock);
      peer.sock.write(Buffer.concat([openFrame(1), openFrame(3), openFrame(5)]));
      const parts = [1, 3, 5].map((id) => dataFrame(id, MiB, true));
      return { peer, sent: await peer.pour((i) => (i < 300 ? parts[i % 3] : undefined), 301 * MiB) };
    },
  },
  {
    name: '200k empty channels',
    async run(sock) {
      const peer = await RawPeer.open(sock);
      const batch = (i: number) =>
        i < 200
          ? Buffer.concat(Array.from({ length: 1000 }, (_, k) => openFrame(2 * (i * 1000 + k) + 1)))
          : undefined;
      return { peer, sent: await peer.pour(batch, 4 * MiB) };
    },
  },
  {
    name: '1000 unclaimed nested streams x 256 KiB',
    async run(sock) {
      const peer = await RawPeer.open(sock);
      peer.sock.write(openFrame(1));
      const stream = (i: number) =>
        i < 1000
          ? Buffer.concat([openFrame(2 * i + 3, RefKind.OutStream, 1), dataFrame(2 * i + 3, 256 * 1024)])
          : undefined;
      return { peer, sent: await peer.pour(stream, 300 * MiB) };
    },
  },
];

/** A good client: authenticates with the token and gets its ack (the listener still serves). */
async function goodClient(sock: string): Promise<boolean> {
  const session = await unix.connect({ path: sock });
  try {
    const [rx, tx] = pipe<unknown>();
    await session.newSendChannel().send({ verb: 'control', args: { token: TOKEN }, ret: tx });
    const answer = await Promise.race([rx.receive(), new Promise((r) => setTimeout(r, 5000))]);
    return (answer as { verb?: string } | undefined)?.verb === 'ack';
  } catch {
    return false;
  } finally {
    session.destroy();
  }
}

async function runProbe(probe: Probe, proc: ChildProcess, sock: string): Promise<boolean> {
  const pid = proc.pid as number;
  const before = rssMb(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(pid));
  }, 50);
  const started = Date.now();
  const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), PROBE_TIMEOUT_MS));
  const result = await Promise.race([probe.run(sock), timeout]);
  // Then see whether the daemon closed the connection: a paused peer learns it only when a write
  // fails, i.e. once the daemon destroyed the socket. 5 s at most.
  const until = Date.now() + 5000;
  while (result && !result.peer.isClosed && Date.now() < until) {
    result.peer.sock.write(pingFrame(8));
    await new Promise((r) => setTimeout(r, 100));
  }
  const closed = result?.peer.isClosed ?? false;
  const ms = Date.now() - started;
  clearInterval(sampler);
  const after = rssMb(pid);
  peak = Math.max(peak, after);
  result?.peer.destroy();
  const served = await goodClient(sock);
  const growth = after - before;
  const peakGrowth = peak - before;
  console.log(
    `| ${probe.name} | ${before.toFixed(0)} | ${peak.toFixed(0)} | ${after.toFixed(0)} | ${growth.toFixed(1)} | ${peakGrowth.toFixed(1)} | ${((result?.sent ?? 0) / MiB).toFixed(1)} | ${closed ? `yes, ${ms} ms` : 'no'} | ${served ? 'yes' : 'no'} |`,
  );
  return growth < LIMIT_MB && peakGrowth < LIMIT_MB && served;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sec-stress-'));
  const sock = join(dir, 'listen.sock');
  let ok = true;
  console.log(`swarmd from ${root}; a fresh daemon per probe (RSS never shrinks back); limit ${LIMIT_MB} MB`);
  console.log(
    '| probe | RSS before MB | peak MB | after MB | growth MB | peak growth MB | sent MiB | connection closed | good client served |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  try {
    for (const probe of probes) {
      const proc = await startSwarmd(sock);
      try {
        await new Promise((r) => setTimeout(r, 1000));
        if (!(await runProbe(probe, proc, sock))) ok = false;
      } finally {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    ok
      ? 'ok: every probe within budget'
      : `FAIL: a probe grew RSS by ${LIMIT_MB} MB or more, or the listener stopped serving`,
  );
  return ok ? 0 : 1;
}

process.exitCode = await main();
