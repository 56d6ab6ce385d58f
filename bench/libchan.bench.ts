/**
 * libchan transport benchmarks: unix, tcp, ws. The server runs in a FORKED child process (this file
 * with `--server`), so client and server share the machine's 2 cores like real peers.
 *
 * Each case has an in-run baseline: a raw length-prefixed framed socket (unix/tcp) or raw ws, with
 * per-tick coalesced writes and pre-encoded payloads (no codec, no mux): the transport's ceiling.
 *
 * Run: `npx tsx bench/libchan.bench.ts [--runs N] [--filter unix] [--json]`
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { encode } from 'cbor-x';
import { WebSocket, WebSocketServer } from 'ws';
import {
  bufferedPipe,
  EOF,
  kSender,
  type Receiver,
  type Sender,
  type Session,
  tcp,
  unix,
  ws,
} from '../src/libchan/index.js';
import { type BenchCase, runSuite } from './lib.js';

const MSG = { verb: 'ls', args: ['a', 'b'], id: 'V1StGXR8_Z5jdHi6B-myT' };
const RAW = Buffer.from(encode(MSG));
const BIG = Buffer.alloc(64 * 1024, 7);
const N_ONEWAY = 200_000;
const N_PIPE = 50_000;
const N_SEQ = 5_000;
const N_BIG = 2_000;
const N_REFS = 20_000;
const dir = join(tmpdir(), `libchan-bench-${process.pid}`);

// ---------------------------------------------------------------- server (child process)

type Req = { mode: 'sink' | 'echo' | 'refs'; ret: Sender<unknown> };

async function serveChannel(rx: Receiver<unknown>): Promise<void> {
  const first = (await rx.receive()) as Req | typeof EOF;
  if (first === EOF) return;
  const ret = first.ret;
  let n = 0;
  if (first.mode === 'sink') {
    while ((await rx.receive()) !== EOF) n++;
    await ret.send(n);
  } else if (first.mode === 'echo') {
    for (let v = await rx.receive(); v !== EOF; v = await rx.receive()) {
      const p = ret.send(v);
      if (p) await p;
    }
  } else {
    for (let v = await rx.receive(); v !== EOF; v = await rx.receive()) {
      const m = v as { s: Sender<number>; data: Readable };
      let len = 0;
      for await (const c of m.data) len += (c as Buffer).length;
      m.s.send(len);
      m.s.close();
      n++;
    }
    await ret.send(n);
  }
  ret.close();
}

function onSession(s: Session): void {
  void (async () => {
    for await (const rx of s.channels()) void serveChannel(rx).catch(() => {});
  })().catch(() => {});
}

/** Raw framed server: counts frames; a zero-length frame asks for the count; mode byte 1 = echo. */
function rawServe(sock: Socket): void {
  sock.setNoDelay?.(true);
  let buf: Buffer = Buffer.alloc(0);
  let count = 0;
  sock.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let pos = 0;
    let echoFrom = -1;
    while (buf.length - pos >= 4) {
      const len = buf.readUInt32BE(pos);
      if (buf.length - pos < 4 + len) break;
      if (len === 0) {
        const r = Buffer.alloc(8);
        r.writeUInt32BE(4, 0);
        r.writeUInt32BE(count, 4);
        sock.write(r);
        count = 0;
      } else if (buf[pos + 4] === 0x01) {
        if (echoFrom < 0) echoFrom = pos;
      } else count++;
      pos += 4 + len;
    }
    if (echoFrom >= 0) sock.write(buf.subarray(echoFrom, pos)); // coalesced echo of this chunk
    buf = buf.subarray(pos);
  });
  sock.on('error', () => {});
}

async function server(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(dir, { recursive: true });
  const lu = await unix.listen({ path: join(dir, 'lc.sock') }, onSession);
  const lt = await tcp.listen({ port: 0 }, onSession);
  const lw = await ws.listen({ port: 0 }, onSession);
  const ru: Server = createServer(rawServe).listen(join(dir, 'raw.sock'));
  const rt: Server = createServer(rawServe).listen(0, '127.0.0.1');
  const rw = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  rw.on('connection', (w) => {
    let count = 0;
    w.on('message', (data: Buffer) => {
      const echo: Buffer[] = [];
      for (let pos = 0; pos + 4 <= data.length; ) {
        const len = data.readUInt32BE(pos);
        if (len === 0) {
          const r = Buffer.alloc(8);
          r.writeUInt32BE(4, 0);
          r.writeUInt32BE(count, 4);
          w.send(r);
          count = 0;
        } else if (data[pos + 4] === 0x01) echo.push(data.subarray(pos, pos + 4 + len));
        else count++;
        pos += 4 + len;
      }
      if (echo.length > 0) w.send(Buffer.concat(echo));
    });
  });
  await Promise.all([once(ru, 'listening'), once(rt, 'listening'), once(rw, 'listening')]);
  const port = (x: { address(): unknown }) => (x.address() as { port: number }).port;
  process.send?.({
    unix: lu.address,
    tcp: port({ address: () => ({ port: Number(lt.address.split(':')[1]) }) }),
    ws: lw.address,
    rawUnix: join(dir, 'raw.sock'),
    rawTcp: port(rt),
    rawWs: `ws://127.0.0.1:${port(rw)}`,
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- client: libchan cases

class Acks implements Sender<unknown> {
  readonly [kSender] = true as const;
  readonly closed = false;
  n = 0;
  waiter: (() => void) | undefined;
  target = 0;
  send(): undefined {
    if (++this.n === this.target) this.waiter?.();
    return undefined;
  }
  close(): void {}
}

async function open(s: Session, mode: Req['mode']) {
  const [replies, ret] = bufferedPipe<unknown>(1024);
  const tx = s.newSendChannel<unknown>();
  tx.send({ mode, ret });
  return { tx, replies };
}

async function lcOneWay(s: Session, n: number, payload: unknown): Promise<number> {
  const { tx, replies } = await open(s, 'sink');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const p = tx.send(payload);
    if (p) await p;
  }
  tx.close();
  const got = await replies.receive();
  if (got !== n) throw new Error(`sink counted ${String(got)} of ${n}`);
  return n / ((performance.now() - t0) / 1000);
}

async function lcPipelined(s: Session, n: number, inFlight: number): Promise<number> {
  const { tx, replies } = await open(s, 'echo');
  const t0 = performance.now();
  let sent = 0;
  for (; sent < inFlight; sent++) tx.send(MSG);
  for (let got = 0; got < n; got++) {
    if ((await replies.receive()) === EOF) throw new Error('echo ended early');
    if (sent < n) {
      const p = tx.send(MSG);
      if (p) await p;
      sent++;
    }
  }
  tx.close();
  return n / ((performance.now() - t0) / 1000);
}

async function lcLatency(s: Session, n: number, q: number): Promise<number> {
  const { tx, replies } = await open(s, 'echo');
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    tx.send(MSG);
    await replies.receive();
    lat.push((performance.now() - t) * 1000);
  }
  tx.close();
  return quantile(lat, q);
}

async function lcRefs(s: Session, n: number): Promise<number> {
  const { tx, replies } = await open(s, 'refs');
  const acks = new Acks();
  acks.target = n;
  const all = new Promise<void>((r) => {
    acks.waiter = r;
  });
  const chunk = Buffer.from('0123456789abcdef');
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const p = tx.send({ i, s: acks, data: Readable.from([chunk]) });
    if (p) await p;
  }
  tx.close();
  await all;
  const total = await replies.receive();
  if (total !== n || acks.n !== n)
    throw new Error(`refs: ${String(total)} handled, ${acks.n} acked, of ${n}`);
  return n / ((performance.now() - t0) / 1000);
}

// ---------------------------------------------------------------- client: raw baselines

interface Raw {
  write(b: Buffer): void;
  needDrain(): boolean;
  drained(): Promise<void>;
  onData(cb: (b: Buffer) => void): void;
}

function rawSocket(sock: Socket): Raw {
  sock.setNoDelay?.(true);
  return {
    write: (b) => sock.write(b),
    needDrain: () => sock.writableNeedDrain,
    drained: () => once(sock, 'drain').then(() => undefined),
    onData: (cb) => sock.on('data', cb),
  };
}

function rawWs(w: WebSocket): Raw {
  return {
    write: (b) => w.send(b),
    needDrain: () => w.bufferedAmount > 1 << 20,
    drained: async () => {
      while (w.bufferedAmount > 1 << 18) await new Promise((r) => setImmediate(r));
    },
    onData: (cb) => w.on('message', (d: Buffer) => cb(d)),
  };
}

function frame(payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + payload.length);
  b.writeUInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

/** Reads raw frames from the server: count replies and echoes, for one connection. */
class RawClient {
  #buf: Buffer = Buffer.alloc(0);
  #waiters: ((v: Buffer) => void)[] = [];
  #ready: Buffer[] = [];
  constructor(readonly raw: Raw) {
    raw.onData((chunk) => {
      this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
      let pos = 0;
      while (this.#buf.length - pos >= 4) {
        const len = this.#buf.readUInt32BE(pos);
        if (this.#buf.length - pos < 4 + len) break;
        const f = this.#buf.subarray(pos + 4, pos + 4 + len);
        const w = this.#waiters.shift();
        if (w) w(f);
        else this.#ready.push(f);
        pos += 4 + len;
      }
      this.#buf = this.#buf.subarray(pos);
    });
  }
  next(): Promise<Buffer> {
    const f = this.#ready.shift();
    if (f) return Promise.resolve(f);
    return new Promise((r) => this.#waiters.push(r));
  }
}

const END = frame(Buffer.alloc(0)).subarray(0, 4);
const ECHO = frame(Buffer.concat([Buffer.from([1]), RAW]));

async function rawOneWay(c: RawClient, n: number, f: Buffer): Promise<number> {
  const t0 = performance.now();
  const reply = c.next();
  const batch = f.length > 16 * 1024 ? 1 : Math.max(1, Math.floor(65536 / f.length));
  for (let i = 0; i < n; ) {
    const k = Math.min(batch, n - i);
    c.raw.write(k === 1 ? f : Buffer.concat(Array(k).fill(f)));
    i += k;
    if (c.raw.needDrain()) await c.raw.drained();
    else if (i % (batch * 16) === 0) await new Promise((r) => setImmediate(r));
  }
  c.raw.write(END);
  const got = (await reply).readUInt32BE(0);
  if (got !== n) throw new Error(`raw sink counted ${got} of ${n}`);
  return n / ((performance.now() - t0) / 1000);
}

async function rawPipelined(c: RawClient, n: number, inFlight: number): Promise<number> {
  const t0 = performance.now();
  let sent = 0;
  const pending: Buffer[] = [];
  const flush = () => {
    if (pending.length) c.raw.write(pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending));
    pending.length = 0;
  };
  for (; sent < inFlight; sent++) pending.push(ECHO);
  flush();
  for (let got = 0; got < n; got++) {
    const p = c.next();
    queueMicrotask(flush);
    await p;
    if (sent < n) {
      pending.push(ECHO);
      sent++;
    }
  }
  return n / ((performance.now() - t0) / 1000);
}

async function rawLatency(c: RawClient, n: number, q: number): Promise<number> {
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const p = c.next();
    c.raw.write(ECHO);
    await p;
    lat.push((performance.now() - t) * 1000);
  }
  return quantile(lat, q);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  if (process.argv.includes('--server')) return server();
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const [addr] = (await once(child, 'message')) as [Record<string, string | number>];
  const sessions: Record<string, Session> = {
    unix: await unix.connect({ path: addr.unix as string }),
    tcp: await tcp.connect({ port: addr.tcp as number }),
    ws: await ws.connect({ url: addr.ws as string }),
  };
  const rawOf = async (t: string): Promise<RawClient> => {
    if (t === 'ws') {
      const w = new WebSocket(addr.rawWs as string, { perMessageDeflate: false });
      w.binaryType = 'nodebuffer';
      await once(w, 'open');
      return new RawClient(rawWs(w));
    }
    const sock =
      t === 'unix' ? netConnect(addr.rawUnix as string) : netConnect(addr.rawTcp as number, '127.0.0.1');
    await once(sock, 'connect');
    return new RawClient(rawSocket(sock));
  };
  const raws: Record<string, RawClient> = {};
  for (const t of ['unix', 'tcp', 'ws']) raws[t] = await rawOf(t);
  const small = frame(Buffer.concat([Buffer.from([0]), RAW]));
  const big = frame(BIG);
  const cases: BenchCase[] = [];
  for (const t of ['unix', 'tcp', 'ws']) {
    const s = sessions[t] as Session;
    const r = raws[t] as RawClient;
    const oneWayGoal =
      t === 'unix'
        ? { value: 1_000_000, ratio: 0.25 }
        : t === 'ws'
          ? { value: 800_000, ratio: 0.25 }
          : undefined;
    cases.push(
      {
        name: `${t}: one-way small msgs`,
        unit: 'msgs/s',
        run: () => lcOneWay(s, N_ONEWAY, MSG),
        baseline: { name: `raw ${t}`, run: () => rawOneWay(r, N_ONEWAY, small) },
        ...(oneWayGoal ? { goal: oneWayGoal } : {}),
      },
      {
        name: `${t}: pipelined round trips (100 in flight)`,
        unit: 'rt/s',
        run: () => lcPipelined(s, N_PIPE, 100),
        baseline: { name: `raw ${t}`, run: () => rawPipelined(r, N_PIPE, 100) },
      },
      {
        name: `${t}: sequential RTT p50`,
        unit: 'us',
        lowerIsBetter: true,
        run: () => lcLatency(s, N_SEQ, 0.5),
        baseline: { name: `raw ${t}`, run: () => rawLatency(r, N_SEQ, 0.5) },
        goal: { ratio: 1.3 },
      },
      {
        name: `${t}: sequential RTT p99`,
        unit: 'us',
        lowerIsBetter: true,
        run: () => lcLatency(s, N_SEQ, 0.99),
        baseline: { name: `raw ${t}`, run: () => rawLatency(r, N_SEQ, 0.99) },
      },
      {
        name: `${t}: one-way 64 KiB payloads`,
        unit: 'MB/s',
        run: async () => ((await lcOneWay(s, N_BIG, BIG)) * BIG.length) / 1e6,
        baseline: {
          name: `raw ${t}`,
          run: async () => ((await rawOneWay(r, N_BIG, big)) * BIG.length) / 1e6,
        },
        runs: 5,
      },
      {
        name: `${t}: msgs each carrying a Sender and a byte stream`,
        unit: 'msgs/s',
        run: () => lcRefs(s, N_REFS),
        baseline: { name: `raw ${t} one-way small (context only)`, run: () => rawOneWay(r, N_ONEWAY, small) },
        goal: { value: 50_000 },
        runs: 5,
      },
    );
  }
  await runSuite('libchan (server in a forked child)', cases);
  for (const s of Object.values(sessions)) await s.close();
  child.disconnect();
  process.exit(0);
}

await main();
