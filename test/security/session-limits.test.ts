/**
 * Issue 10 item 2, the libchan half: PONG size, the entry cap, connection credit refunded on
 * consumption, the transport's backpressure and the cut-off of a peer that does not read, the
 * listener's connection cap, and `authenticate()` lifting the pre-auth limits. Sessions over a fake
 * wire (synchronous, exact frames) or a real unix socket with a raw peer.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode, isSwarmError, type SwarmError } from '../../src/errors.js';
import { FrameType, RefKind, ResetCode } from '../../src/libchan/frames.js';
import { EOF, Session, unix, type WireHandlers } from '../../src/libchan/index.js';
import { FakeWire } from '../libchan/fuzz-targets.js';
import { dataFrame, openFrame, pingFrame, RawPeer } from '../libchan/raw-peer.js';
import { tempDir, until } from '../link/support.js';

const dir = tempDir();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fake wire whose unsent-bytes count the test sets (a socket's writableLength). */
class SlowWire extends FakeWire {
  held = 0;
  bufferedAmount(): number {
    return this.held;
  }
}

function server(wire = new FakeWire(), opts: Partial<ConstructorParameters<typeof Session>[1]> = {}) {
  const s = new Session(wire, { role: 'server', closeTimeoutMs: 1, ...opts });
  return { s, h: wire.h as WireHandlers, wire };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('PING/PONG', () => {
  it('an 8-byte PING gets an 8-byte PONG', async () => {
    const { s, h, wire } = server();
    h.data(pingFrame(8));
    await tick();
    const pongs = wire.frames().filter((f) => f.type === FrameType.Pong);
    expect(pongs.map((f) => f.payload.length)).toEqual([8]);
    expect(s.closed).toBe(false);
  });

  it.each([0, 9, 1 << 20])('a %i-byte PING is a protocol error and is never echoed', async (n) => {
    const { s, h, wire } = server();
    h.data(pingFrame(n));
    await tick();
    expect(wire.frames().some((f) => f.type === FrameType.Pong)).toBe(false);
    const goAway = wire.frames().find((f) => f.type === FrameType.GoAway);
    expect(goAway?.payload.readUInt32BE(4)).toBe(ResetCode.Protocol);
    expect(((await s.done) as SwarmError).code).toBe(ErrorCode.Protocol);
  });
});

describe('open entries per session (maxEntries)', () => {
  it('OPENs beyond the cap are RESET REFUSED and hold no entry', async () => {
    const { s, h, wire } = server(undefined, { maxEntries: 8 });
    for (let i = 0; i < 20; i++) h.data(openFrame(2 * i + 1));
    await tick();
    expect(s.stats().channels).toBe(8);
    const refused = wire
      .frames()
      .filter((f) => f.type === FrameType.Reset && f.payload.readUInt32BE(0) === ResetCode.Refused);
    expect(refused.map((f) => f.id)).toEqual(Array.from({ length: 12 }, (_, i) => 2 * (i + 8) + 1));
    expect(s.closed).toBe(false);
  });

  it('the default cap is 4096: 20k empty channels (never taken, backlog out of the way) leave 4096', async () => {
    const { s, h } = server(undefined, { acceptBacklog: 1 << 20 });
    for (let i = 0; i < 20_000; i++) h.data(openFrame(2 * i + 1));
    expect(s.stats().channels).toBe(4096);
    s.destroy();
  });
});

describe('connection credit is refunded when the reader consumes', () => {
  it('DATA nobody reads is bounded by the connection window: 1000 unclaimed streams x 256 KiB overrun it', async () => {
    const { s, h } = server();
    h.data(openFrame(1));
    let sent = 0;
    for (let i = 0; i < 1000 && !s.closed; i++) {
      const id = 2 * i + 3;
      h.data(openFrame(id, RefKind.OutStream, 1));
      h.data(dataFrame(id, 256 * 1024));
      sent += 256 * 1024;
    }
    // 16 MiB window: the 65th stream's bytes overran it.
    expect(sent).toBe(65 * 256 * 1024);
    const err = (await s.done) as SwarmError;
    expect(err.code).toBe(ErrorCode.Protocol);
    expect(err.message).toMatch(/connection flow-control window overrun/);
  });

  it('taking messages gives the bytes back (CREDIT on stream 0), not their arrival', async () => {
    const { s, h, wire } = server();
    h.data(openFrame(1));
    const rx = await s.waitReceiveChannel<Uint8Array>();
    const msg = Buffer.concat([Buffer.from([0x59, 0x20, 0x00]), Buffer.alloc(8192)]); // CBOR bytes(8192)
    const credit0 = () =>
      wire
        .frames()
        .filter((f) => f.type === FrameType.Credit && f.id === 0)
        .reduce((n, f) => n + f.payload.readUInt32BE(0), 0);
    await tick();
    const opening = credit0();
    for (let i = 0; i < 640; i++) h.data(Buffer.concat([frameHead(msg.length, 1), msg]));
    await tick();
    expect(credit0()).toBe(opening);
    for (let i = 0; i < 640; i++) expect(await rx.receive()).not.toBe(EOF);
    await tick();
    expect(credit0() - opening).toBeGreaterThanOrEqual(4 << 20);
  });

  it('a message larger than the connection window still arrives (its MORE frames are refunded at once)', async () => {
    const { s, h } = server();
    h.data(openFrame(1));
    const rx = await s.waitReceiveChannel<Uint8Array>();
    const size = 20 << 20;
    const whole = Buffer.concat([Buffer.from([0x5a]), u32(size), Buffer.alloc(size, 1)]);
    for (let off = 0; off < whole.length; off += 1 << 20) {
      const end = Math.min(off + (1 << 20), whole.length);
      const more = end < whole.length ? 1 : 0;
      h.data(Buffer.concat([frameHead(end - off, 1, more), whole.subarray(off, end)]));
    }
    expect(s.closed).toBe(false);
    expect(((await rx.receive()) as Uint8Array).length).toBe(size);
  });
});

describe('output: backpressure and a peer that does not read', () => {
  it('ordered frames wait while the transport holds over 1 MiB, and go on drain', async () => {
    const wire = new SlowWire();
    const { s, h } = server(wire);
    await tick();
    const before = wire.frames().length;
    wire.held = 2 << 20;
    const tx = s.newSendChannel<string>();
    tx.send('hello');
    await tick();
    expect(wire.frames().length).toBe(before);
    expect(s.stats().queuedFrames).toBe(2); // OPEN, DATA
    wire.held = 0;
    h.drain?.();
    await tick();
    expect(
      wire
        .frames()
        .slice(before)
        .map((f) => f.type),
    ).toEqual([FrameType.Open, FrameType.Data]);
  });

  it('a peer that sends PINGs and never reads is cut off past maxOutputBytes', async () => {
    const path = join(dir, 'out.sock');
    let session: Session | undefined;
    const l = await unix.listen({ path, maxOutputBytes: 4 << 20 }, (s) => {
      session = s;
    });
    cleanups.push(() => l.close());
    const peer = await RawPeer.open(path, false);
    cleanups.push(() => peer.destroy());
    const pings = Buffer.concat(Array.from({ length: 3641 }, () => pingFrame(8))); // 64 KiB
    const sent = await peer.pour(() => pings, 256 << 20);
    await until(() => session?.closed === true, 5000, 'the session to be cut off');
    const err = (await session?.done) as SwarmError;
    expect(isSwarmError(err, ErrorCode.LimitReached)).toBe(true);
    expect(err.details).toMatchObject({ limit: 'output' });
    expect(err.message).toMatch(/does not read/);
    expect(sent).toBeLessThan(256 << 20);
  });
});

describe('listener connection cap (libchan)', () => {
  it('closes connections beyond maxConnections at accept and reports each', async () => {
    const path = join(dir, 'cap.sock');
    const refused: number[] = [];
    const l = await unix.listen({ path, maxConnections: 1, onRefused: (n) => refused.push(n) }, () => {});
    cleanups.push(() => l.close());
    const a = await RawPeer.open(path);
    cleanups.push(() => a.destroy());
    await until(() => l.sessions.size === 1);
    const b = await RawPeer.open(path);
    await b.closed;
    expect(refused).toEqual([1]);
    expect(l.sessions.size).toBe(1);
  });
});

describe('pre-auth limits and authenticate()', () => {
  it('authenticate() lifts every limit and stops the deadline', async () => {
    const clock = new SimulatedClock();
    const { s, h } = server(undefined, { clock, preAuth: {} });
    expect(s.authenticated).toBe(false);
    h.data(openFrame(1));
    s.authenticate();
    expect(s.authenticated).toBe(true);
    for (let i = 1; i < 5; i++) h.data(openFrame(2 * i + 1));
    h.data(Buffer.concat([openFrame(11, RefKind.OutStream, 1), dataFrame(11, 60 * 1024)]));
    h.data(dataFrame(11, 60 * 1024));
    clock.advance(60_000);
    expect(s.closed).toBe(false);
    expect(s.stats()).toMatchObject({ channels: 5, streams: 1 });
  });

  it('each limit ends the session with LIMIT_REACHED naming it, and GOAWAY REFUSED', async () => {
    const cases: Array<[string, (h: WireHandlers, c: SimulatedClock) => void]> = [
      ['preauth-deadline', (_h, c) => c.advance(5000)],
      ['preauth-bytes', (h) => h.data(Buffer.alloc(64 * 1024 + 1))],
      ['preauth-channels', (h) => h.data(Buffer.concat([1, 3, 5].map((id) => openFrame(id))))],
      ['preauth-streams', (h) => h.data(Buffer.concat([openFrame(1), openFrame(3, RefKind.Duplex, 1)]))],
    ];
    for (const [limit, act] of cases) {
      const clock = new SimulatedClock();
      const { s, h, wire } = server(undefined, { clock, preAuth: {} });
      act(h, clock);
      expect(s.closed, limit).toBe(true);
      const err = (await s.done) as SwarmError;
      expect(err.code, limit).toBe(ErrorCode.LimitReached);
      expect(err.details, limit).toMatchObject({ limit });
      const goAway = wire.frames().find((f) => f.type === FrameType.GoAway);
      expect(goAway?.payload.readUInt32BE(4), limit).toBe(ResetCode.Refused);
    }
  });

  it('a session without preAuth has none of them', async () => {
    const clock = new SimulatedClock();
    const { s, h } = server(undefined, { clock });
    for (let i = 0; i < 5; i++) h.data(openFrame(2 * i + 1));
    h.data(pingFrame(8));
    clock.advance(60_000);
    expect(s.closed).toBe(false);
    expect(s.authenticated).toBe(true);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** A DATA frame header for channel `id`. */
function frameHead(len: number, id: number, flags = 0): Buffer {
  const b = Buffer.alloc(10);
  b.writeUInt32BE(len, 0);
  b[4] = FrameType.Data;
  b[5] = flags;
  b.writeUInt32BE(id, 6);
  return b;
}
