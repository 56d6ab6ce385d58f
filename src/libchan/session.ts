/**
 * The session: many channels and byte streams multiplexed over one {@link Wire}. It owns the id
 * tables, connection-level credit, the ordered frame queue, the accept queue and the codec context.
 * Frames are handled synchronously in arrival order, so an OPEN is always registered before the
 * message that references it is decoded (race-free rendezvous by construction).
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { ConnectionLostError, ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { ChanIn, ChanOut, u32 } from './channel.js';
import { type CodecContext, decodeMessage, encodeMessage } from './codec.js';
import { pump } from './copy.js';
import { INITIAL_CONNECTION_CREDIT, InboundWindow } from './credit.js';
import { FLAG_MORE, FrameParser, FrameType, MAX_FRAME_PAYLOAD, RefKind, ResetCode } from './frames.js';
import { decodeCodeReason, type Entry, encodeCodeReason, type Host, type SessionSettings } from './host.js';
import { bridge, SessionStream, streamKind } from './stream-proxy.js';
import type { Transport, TransportStats } from './transport.js';
import { isReceiver, isSender, kMove, type Receiver, type Sender } from './types.js';
import type { Wire, WireInfo } from './wire.js';
import { FrameWriter } from './writer.js';

/** Options of a session. Both sides may choose different windows; the protocol needs no agreement. */
export interface SessionOptions extends Partial<SessionSettings> {
  /** `client` opens odd ids, `server` even ids. */
  role: 'client' | 'server';
  clock?: Clock;
  /** How long a graceful close waits for the peer before destroying the connection. Default 2000 ms. */
  closeTimeoutMs?: number;
}

const DEFAULTS: SessionSettings = {
  channelWindow: 1024,
  streamWindow: 256 * 1024,
  connectionWindow: 16 << 20,
  maxMessageBytes: 256 << 20,
  acceptBacklog: 1024,
  maxUnclaimed: 65536,
};
const MAX_ID = 0xffff_ffff;

interface Queued {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array | undefined;
}

interface LocalOpen {
  id: number;
  kind: number;
  target: object;
}

/** A multiplexed connection. Build one with a transport's `connect`/`listen`, or over any {@link Wire}. */
export class Session implements Transport, Host, CodecContext {
  readonly settings: SessionSettings;
  readonly info: WireInfo;
  /** Resolves when the session is over: `undefined` after a clean close, else the reason. */
  readonly done: Promise<Error | undefined>;
  #resolveDone!: (e: Error | undefined) => void;
  readonly #wire: Wire;
  readonly #writer: FrameWriter;
  readonly #parser: FrameParser;
  readonly #clock: Clock;
  readonly #closeTimeoutMs: number;
  readonly #entries = new Map<number, Entry>();
  readonly #unclaimed = new Map<number, Entry>();
  #accept: ChanIn[] = [];
  #acceptWaiters: { resolve: (r: Receiver) => void; reject: (e: Error) => void }[] = [];
  #nextId: number;
  #lastPeerId = 0;
  readonly #peerParity: number;
  #connCredit = INITIAL_CONNECTION_CREDIT;
  readonly #connIn: InboundWindow;
  #queue: Queued[] = [];
  #queueHead = 0;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #peerGoAway = false;
  #error: Error | undefined;
  #closeTimer: TimerHandle | undefined;
  #pingSeq = 0;
  readonly #pings = new Map<
    number,
    { at: number; resolve: (ms: number) => void; reject: (e: Error) => void }
  >();
  // Codec context, valid only during one synchronous encode/decode.
  #opens: LocalOpen[] | null = null;
  #moved: Map<object, object> | undefined;
  #decChan = 0;
  #claimed: Entry[] | null = null;

  constructor(wire: Wire, options: SessionOptions) {
    this.settings = { ...DEFAULTS, ...stripUndefined(options) };
    this.#wire = wire;
    this.info = wire.info;
    this.#clock = options.clock ?? systemClock;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2000;
    this.#nextId = options.role === 'client' ? 1 : 2;
    this.#peerParity = options.role === 'client' ? 0 : 1;
    this.#connIn = new InboundWindow(INITIAL_CONNECTION_CREDIT, this.settings.connectionWindow);
    this.done = new Promise((r) => {
      this.#resolveDone = r;
    });
    this.#writer = new FrameWriter(wire);
    this.#parser = new FrameParser((t, f, id, p) => this.#onFrame(t, f, id, p));
    wire.start({ data: (chunk) => this.#onData(chunk), close: (err) => this.#onWireClose(err) });
    const extra = this.#connIn.openingGrant();
    if (extra > 0) this.#writer.frame(FrameType.Credit, 0, 0, u32(extra));
  }

  // ---- public API -------------------------------------------------------------------------

  newSendChannel<T = unknown>(): Sender<T> {
    this.#checkOpen();
    const id = this.#allocId();
    const chan = new ChanOut(this, id, 0, RefKind.OutChannel);
    this.#entries.set(id, chan);
    this.frame(FrameType.Open, 0, id, openPayload(RefKind.OutChannel, 0));
    return chan.user as Sender<T>;
  }

  waitReceiveChannel<T = unknown>(): Promise<Receiver<T>> {
    const next = this.#accept.shift();
    if (next) return Promise.resolve(next.user as Receiver<T>);
    if (this.#state === 'closed') return Promise.reject(this.#error ?? closedError());
    if (this.#peerGoAway) return Promise.reject(closedError('the peer is going away'));
    return new Promise((resolve, reject) =>
      this.#acceptWaiters.push({ resolve: resolve as (r: Receiver) => void, reject }),
    );
  }

  /** Every top-level channel the peer opens, until the session ends (cleanly or not). */
  async *channels<T = unknown>(): AsyncGenerator<Receiver<T>, void, undefined> {
    for (;;) {
      try {
        yield await this.waitReceiveChannel<T>();
      } catch (err) {
        if ((err as SwarmError).code === ErrorCode.Closed) return;
        throw err;
      }
    }
  }

  close(): Promise<void> {
    if (this.#state === 'open') {
      this.#state = 'closing';
      this.frame(FrameType.GoAway, 0, 0, encodeCodeReason(ResetCode.NoError, 'closing', this.#lastPeerId));
      this.#maybeFinishClose();
    }
    return this.done.then(() => undefined);
  }

  destroy(err?: Error): void {
    this.#teardown(err ?? new ConnectionLostError('session destroyed locally'), true);
  }

  /** Round-trip time in ms, measured with PING/PONG. */
  ping(): Promise<number> {
    if (this.#state === 'closed') return Promise.reject(this.#error ?? closedError());
    const seq = ++this.#pingSeq;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(seq, 4);
    this.#writer.frame(FrameType.Ping, 0, 0, p);
    return new Promise((resolve, reject) => this.#pings.set(seq, { at: this.#clock.now(), resolve, reject }));
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  stats(): TransportStats & { queuedFrames: number } {
    let channels = 0;
    let streams = 0;
    for (const e of this.#entries.values()) {
      if (e instanceof SessionStream) streams++;
      else channels++;
    }
    return {
      channels,
      streams,
      unclaimed: this.#unclaimed.size,
      pendingAccept: this.#accept.length,
      queuedFrames: this.#queue.length - this.#queueHead,
    };
  }

  // ---- Host (used by entries) ---------------------------------------------------------------

  frame(type: number, flags: number, id: number, payload?: Uint8Array): void {
    if (this.#state === 'closed') return;
    if (this.#queueHead === this.#queue.length) {
      if (type !== FrameType.Data) {
        this.#writer.frame(type, flags, id, payload);
        return;
      }
      const len = (payload as Uint8Array).length;
      if (len <= this.#connCredit) {
        this.#connCredit -= len;
        this.#writer.frame(type, flags, id, payload);
        return;
      }
    }
    this.#queue.push({ type, flags, id, payload });
  }

  reset(id: number, code: number, reason: string): void {
    this.frame(FrameType.Reset, 0, id, encodeCodeReason(code, reason));
    this.remove(id);
  }

  remove(id: number): void {
    if (!this.#entries.delete(id)) return;
    this.#unclaimed.delete(id);
    if (this.#unclaimed.size > 0) {
      // Nested refs whose carrying channel is gone can never be decoded: reset them.
      for (const e of [...this.#unclaimed.values()]) {
        if (e.parent === id) {
          this.reset(e.id, ResetCode.Cancel, 'carrying channel closed');
          e.fail(closedError('carrying channel closed'));
        }
      }
    }
    if (this.#state === 'closing') this.#maybeFinishClose();
  }

  emit(id: number, value: unknown, moved: Map<object, object> | undefined): void {
    this.#opens = null;
    this.#moved = moved;
    let payload: Buffer;
    try {
      payload = encodeMessage(this, value);
    } catch (err) {
      for (const o of (this.#opens as LocalOpen[] | null) ?? []) closeEnd(o.target);
      throw err;
    } finally {
      this.#moved = undefined;
    }
    const opens = this.#opens as LocalOpen[] | null;
    this.#opens = null;
    if (opens !== null) for (const o of opens) this.#openLocal(o, id);
    if (payload.length <= MAX_FRAME_PAYLOAD) {
      this.frame(FrameType.Data, 0, id, payload);
      return;
    }
    for (let off = 0; off < payload.length; off += MAX_FRAME_PAYLOAD) {
      const end = Math.min(off + MAX_FRAME_PAYLOAD, payload.length);
      this.frame(FrameType.Data, end < payload.length ? FLAG_MORE : 0, id, payload.subarray(off, end));
    }
  }

  decode(id: number, bytes: Uint8Array): unknown {
    this.#decChan = id;
    this.#claimed = null;
    try {
      return decodeMessage(this, bytes);
    } catch (err) {
      for (const e of (this.#claimed as Entry[] | null) ?? []) {
        this.reset(e.id, ResetCode.Protocol, 'carrying message was malformed');
        e.fail(err as Error);
      }
      throw err;
    } finally {
      this.#claimed = null;
    }
  }

  // ---- CodecContext -------------------------------------------------------------------------

  encodeRef(value: object): [number, number] {
    let target = this.#moved?.get(value);
    if (target === undefined) {
      const move = (value as { [kMove]?: () => object })[kMove];
      target = typeof move === 'function' ? move.call(value) : value;
    }
    const kind = isSender(value)
      ? RefKind.InChannel
      : isReceiver(value)
        ? RefKind.OutChannel
        : streamKind(value as Readable);
    const id = this.#allocId();
    if (this.#opens === null) this.#opens = [];
    this.#opens.push({ id, kind, target });
    return [kind, id];
  }

  decodeRef(kind: number, id: number): unknown {
    const e = this.#unclaimed.get(id);
    if (e === undefined || e.kind !== kind || e.parent !== this.#decChan) {
      throw new ProtocolError(`reference [${kind}, ${id}] names no stream opened for this message`);
    }
    this.#unclaimed.delete(id);
    if (this.#claimed === null) this.#claimed = [];
    this.#claimed.push(e);
    return e.user;
  }

  // ---- internals ----------------------------------------------------------------------------

  #openLocal(o: LocalOpen, parent: number): void {
    let e: Entry;
    if (o.kind === RefKind.InChannel) {
      const c = new ChanIn(this, o.id, parent, o.kind);
      e = c;
      this.#entries.set(o.id, c);
      this.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
      c.grantOpening();
      void pump(o.target as Sender, c.user);
      return;
    }
    if (o.kind === RefKind.OutChannel) {
      const c = new ChanOut(this, o.id, parent, o.kind);
      this.#entries.set(o.id, c);
      this.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
      c.onStop = () => (o.target as Receiver).close();
      void pump(c.user, o.target as Receiver);
      return;
    }
    const s = new SessionStream(
      this,
      o.id,
      parent,
      o.kind,
      o.kind !== RefKind.OutStream,
      o.kind !== RefKind.InStream,
    );
    e = s;
    this.#entries.set(o.id, e);
    this.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
    s.grantOpening();
    bridge(o.target as Readable | Writable, s, o.kind);
  }

  #onData(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    try {
      this.#parser.push(chunk);
    } catch (err) {
      this.#connError(err instanceof ProtocolError ? err : new ProtocolError(String(err), { cause: err }));
    }
  }

  #onFrame(type: number, flags: number, id: number, payload: Buffer): void {
    if (this.#state === 'closed') return;
    if (id === 0) {
      this.#onConnFrame(type, payload);
      return;
    }
    if (type === FrameType.Open) {
      this.#onOpen(id, payload);
      return;
    }
    if (type === FrameType.Data) {
      if (!this.#connIn.use(payload.length))
        throw new ProtocolError('connection flow-control window overrun');
      const grant = this.#connIn.consume(payload.length);
      if (grant > 0) this.#writer.frame(FrameType.Credit, 0, 0, u32(grant));
    }
    const e = this.#entries.get(id);
    if (e === undefined) {
      if (this.#isStale(id)) return;
      throw new ProtocolError(`frame type ${type} for stream ${id}, which was never opened`);
    }
    switch (type) {
      case FrameType.Data:
        e.onData(flags, payload);
        return;
      case FrameType.End:
        e.onEnd();
        return;
      case FrameType.Reset: {
        const { code, reason } = decodeCodeReason(payload);
        e.onReset(code, reason);
        this.remove(id);
        return;
      }
      case FrameType.Credit:
        if (payload.length !== 4) throw new ProtocolError('CREDIT payload must be 4 bytes');
        e.onCredit(payload.readUInt32BE(0));
        return;
      default:
        throw new ProtocolError(`frame type ${type} is not valid on a stream`);
    }
  }

  #onConnFrame(type: number, payload: Buffer): void {
    switch (type) {
      case FrameType.Credit: {
        if (payload.length !== 4) throw new ProtocolError('CREDIT payload must be 4 bytes');
        this.#connCredit += payload.readUInt32BE(0);
        this.#drainQueue();
        return;
      }
      case FrameType.Ping:
        this.#writer.frame(FrameType.Pong, 0, 0, payload);
        return;
      case FrameType.Pong: {
        const seq = payload.length === 8 ? payload.readUInt32BE(4) : -1;
        const p = this.#pings.get(seq);
        if (p) {
          this.#pings.delete(seq);
          p.resolve(this.#clock.now() - p.at);
        }
        return;
      }
      case FrameType.GoAway: {
        const { code, reason } = decodeCodeReason(payload, 4);
        this.#peerGoAway = true;
        const err =
          code === ResetCode.NoError
            ? closedError('the peer is going away')
            : new ProtocolError(`peer sent GOAWAY ${code}: ${reason}`);
        for (const w of this.#acceptWaiters.splice(0)) w.reject(err);
        if (code !== ResetCode.NoError) this.#teardown(err, true);
        return;
      }
      default:
        throw new ProtocolError(`frame type ${type} is not valid on stream 0`);
    }
  }

  #onOpen(id: number, payload: Buffer): void {
    if (payload.length !== 5) throw new ProtocolError('OPEN payload must be 5 bytes');
    if (id % 2 !== this.#peerParity || id <= this.#lastPeerId) {
      throw new ProtocolError(`OPEN id ${id} has the wrong parity or does not increase`);
    }
    this.#lastPeerId = id;
    const kind = payload[0] as number;
    const parent = payload.readUInt32BE(1);
    if (parent !== 0 && !this.#entries.has(parent)) {
      if (!this.#isStale(parent)) throw new ProtocolError(`OPEN ${id} names unknown parent ${parent}`);
      this.frame(FrameType.Reset, 0, id, encodeCodeReason(ResetCode.Cancel, 'carrying channel closed'));
      return;
    }
    if (parent === 0 && kind !== RefKind.OutChannel)
      throw new ProtocolError('a top-level OPEN must be kind 5');
    let e: ChanIn | ChanOut | SessionStream;
    switch (kind) {
      case RefKind.OutChannel:
        e = new ChanIn(this, id, parent, kind);
        break;
      case RefKind.InChannel:
        e = new ChanOut(this, id, parent, kind);
        break;
      case RefKind.Duplex:
      case RefKind.InStream:
      case RefKind.OutStream:
        e = new SessionStream(this, id, parent, kind, kind !== RefKind.InStream, kind !== RefKind.OutStream);
        break;
      default:
        throw new ProtocolError(`OPEN with unknown kind ${kind}`);
    }
    this.#entries.set(id, e);
    const full =
      parent === 0
        ? this.#accept.length >= this.settings.acceptBacklog
        : this.#unclaimed.size >= this.settings.maxUnclaimed;
    if (this.#state !== 'open' || full) {
      this.reset(id, ResetCode.Refused, this.#state !== 'open' ? 'going away' : 'too many pending streams');
      e.fail(closedError('refused'));
      return;
    }
    if (!(e instanceof ChanOut)) e.grantOpening();
    if (parent !== 0) {
      this.#unclaimed.set(id, e);
      return;
    }
    const w = this.#acceptWaiters.shift();
    if (w) w.resolve((e as ChanIn).user);
    else this.#accept.push(e as ChanIn);
  }

  #drainQueue(): void {
    const q = this.#queue;
    while (this.#queueHead < q.length) {
      const f = q[this.#queueHead] as Queued;
      if (f.type === FrameType.Data) {
        const len = (f.payload as Uint8Array).length;
        if (len > this.#connCredit) break;
        this.#connCredit -= len;
      }
      this.#queueHead++;
      this.#writer.frame(f.type, f.flags, f.id, f.payload);
    }
    if (this.#queueHead === q.length) {
      this.#queue = [];
      this.#queueHead = 0;
    }
    if (this.#state === 'closing') this.#maybeFinishClose();
  }

  #maybeFinishClose(): void {
    if (this.#queueHead !== this.#queue.length || this.#closeTimer !== undefined) return;
    this.#writer.flush();
    this.#wire.end();
    this.#closeTimer = this.#clock.setTimeout(() => this.#wire.destroy(), this.#closeTimeoutMs);
  }

  #onWireClose(err: Error | undefined): void {
    if (this.#closeTimer !== undefined) {
      this.#clock.clearTimeout(this.#closeTimer);
      this.#closeTimer = undefined;
    }
    if (this.#state === 'closed') return;
    // Our own graceful close finished: entries still open fail with Closed.
    if (this.#state === 'closing') {
      this.#teardown(undefined, false);
      return;
    }
    // The peer said GOAWAY and hung up: a clean end for the session, a cut for channels left open.
    if (this.#peerGoAway && !err) {
      this.#teardown(undefined, false, new ConnectionLostError('the peer closed the connection'));
      return;
    }
    this.#teardown(err ?? new ConnectionLostError('connection closed without GOAWAY'), false);
  }

  #connError(err: ProtocolError): void {
    if (this.#state === 'closed') return;
    this.#writer.frame(
      FrameType.GoAway,
      0,
      0,
      encodeCodeReason(ResetCode.Protocol, err.message, this.#lastPeerId),
    );
    this.#writer.flush();
    this.#wire.end();
    this.#teardown(err, false);
    this.#closeTimer = this.#clock.setTimeout(() => this.#wire.destroy(), this.#closeTimeoutMs);
  }

  /** Ends the session. `reason` resolves `done`; entries fail with `entryErr` (default: reason or Closed). */
  #teardown(reason: Error | undefined, destroyWire: boolean, entryErr?: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#error = reason;
    const failWith = entryErr ?? reason ?? closedError('session closed');
    this.#writer.close();
    if (destroyWire) this.#wire.destroy();
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#unclaimed.clear();
    this.#accept = [];
    this.#queue = [];
    this.#queueHead = 0;
    for (const e of entries) e.fail(failWith);
    for (const w of this.#acceptWaiters.splice(0)) w.reject(failWith);
    for (const p of this.#pings.values()) p.reject(failWith);
    this.#pings.clear();
    this.#resolveDone(reason);
  }

  #allocId(): number {
    const id = this.#nextId;
    if (id > MAX_ID) throw new SwarmError(ErrorCode.Closed, 'stream ids exhausted; open a new session');
    this.#nextId += 2;
    return id;
  }

  #isStale(id: number): boolean {
    return id % 2 === this.#peerParity ? id <= this.#lastPeerId : id < this.#nextId;
  }

  #checkOpen(): void {
    if (this.#state !== 'open') throw this.#error ?? closedError();
    if (this.#peerGoAway) throw closedError('the peer is going away');
  }
}

function openPayload(kind: number, parent: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = kind;
  b.writeUInt32BE(parent, 1);
  return b;
}

function closedError(msg = 'session closed'): SwarmError {
  return new SwarmError(ErrorCode.Closed, msg);
}

function closeEnd(target: object): void {
  const t = target as { close?: () => void; destroy?: () => void };
  if (typeof t.destroy === 'function') t.destroy();
  else t.close?.();
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
