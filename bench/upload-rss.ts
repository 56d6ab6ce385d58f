/**
 * A 1 GiB build context through a `swarmd` process (`dockerserver → dockerclient` in front of a private
 * dockerd): how much the swarmd process's resident memory grows while the context streams through
 * (issue 11 goal: < 64 MB), and the upload's wall time through swarmd vs straight to dockerd. The context
 * is a tar made on the fly (a Dockerfile and one 1 GiB file of zeros), sent with chunked encoding as the
 * docker CLI sends it; RSS is read from /proc/<pid>/status every 50 ms.
 * Run: `npx tsx bench/upload-rss.ts [--mib N]` (root: it starts a private dockerd through the test harness).
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startDaemons, startSwarmd, stopDaemons } from '../test/harness/index.js';

const at = process.argv.indexOf('--mib');
const MIB = at >= 0 ? Number(process.argv[at + 1]) : 1024;
const CHUNK = Buffer.alloc(1 << 20);

/** A ustar header for one regular file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

function pad(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** The build context: a Dockerfile and `blob`, MIB MiB of zeros, streamed. */
function context(): Readable {
  const dockerfile = Buffer.from('FROM busybox:local\nLABEL upload=bench\n');
  const size = MIB * CHUNK.length;
  return Readable.from(
    (function* () {
      yield tarHeader('Dockerfile', dockerfile.length);
      yield dockerfile;
      yield pad(dockerfile.length);
      yield tarHeader('blob', size);
      for (let i = 0; i < MIB; i++) yield CHUNK;
      yield Buffer.alloc(1024);
    })(),
  );
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

/** POSTs the context to /build on `socketPath`; resolves with the status and the time taken (ms). */
function build(socketPath: string, tag: string): Promise<{ status: number; ms: number; tail: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method: 'POST',
      path: `/v1.41/build?t=${tag}&rm=1`,
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      let tail = '';
      res.on('data', (c: Buffer) => {
        tail = (tail + c.toString()).slice(-300);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0, tail }));
    });
    context().pipe(req);
  });
}

const [daemon] = await startDaemons(1);
if (!daemon) throw new Error('no daemon');
const dir = mkdtempSync(join(tmpdir(), 'swu-'));
const front = join(dir, 's.sock');
const swarmd = await startSwarmd(
  [`dockerserver unix://${front}`, `dockerclient unix://${daemon.socket}`],
  20_000,
  {
    logLevel: 'info',
  },
);
try {
  const pid = swarmd.proc.pid ?? 0;
  const direct = await build(daemon.socket, 'direct:1');
  const before = rssKiB(pid);
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssKiB(pid));
  }, 50);
  const chained = await build(front, 'chained:1');
  clearInterval(timer);
  peak = Math.max(peak, rssKiB(pid));
  const line = {
    contextMiB: MIB,
    status: { direct: direct.status, chained: chained.status },
    ok: /Successfully tagged chained:1/.test(chained.tail),
    swarmdRssBeforeMiB: +(before / 1024).toFixed(1),
    swarmdRssPeakMiB: +(peak / 1024).toFixed(1),
    swarmdRssGrowthMiB: +((peak - before) / 1024).toFixed(1),
    directSeconds: +(direct.ms / 1000).toFixed(2),
    chainedSeconds: +(chained.ms / 1000).toFixed(2),
  };
  console.log(JSON.stringify(line));
} finally {
  await swarmd.kill('SIGINT');
  await stopDaemons([daemon]);
  rmSync(dir, { recursive: true, force: true });
}
