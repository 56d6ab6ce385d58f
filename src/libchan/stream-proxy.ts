/**
 * Byte streams on a session. A {@link SessionStream} is a Node Duplex whose bytes travel as DATA
 * frames under per-stream byte credit. A decoded stream reference is a SessionStream; an encoded
 * local stream (a socket, file, PassThrough…) is bridged to a SessionStream with `pipe`, which
 * carries Node's own backpressure into our credit.
 * @module
 */
import { Duplex, type DuplexOptions, type Readable, type Writable } from 'node:stream';
import { u32 } from './channel.js';
import { INITIAL_STREAM_CREDIT, InboundWindow } from './credit.js';
import { FrameType, MAX_FRAME_PAYLOAD, RefKind, ResetCode } from './frames.js';
import { codeFor, type Entry, errorFor, type Host } from './host.js';

/** A byte stream multiplexed on a session. */
export class SessionStream extends Duplex implements Entry {
  readonly id: number;
  readonly parent: number;
  readonly kind: number;
  /** The error that ended the stream when nobody listened for 'error' (so it is not thrown). */
  lostError: Error | undefined;
  readonly #host: Host;
  readonly #win: InboundWindow;
  #sendCredit = INITIAL_STREAM_CREDIT;
  #blocked: { chunk: Buffer; cb: (err?: Error | null) => void } | null = null;
  #sentEnd: boolean;
  #gotEnd: boolean;
  #gone = false;
  #pushed = 0;
  #credited = 0;

  /**
   * @param readable bytes flow from the peer to us
   * @param writable bytes flow from us to the peer
   */
  constructor(host: Host, id: number, parent: number, kind: number, readable: boolean, writable: boolean) {
    // `readable`/`writable` are honoured by Node's Duplex but missing from @types/node 20.
    super({ readable, writable, allowHalfOpen: true } as DuplexOptions);
    this.#host = host;
    this.id = id;
    this.parent = parent;
    this.kind = kind;
    this.#sentEnd = !writable;
    this.#gotEnd = !readable;
    this.#win = new InboundWindow(
      INITIAL_STREAM_CREDIT,
      readable ? host.settings.streamWindow : INITIAL_STREAM_CREDIT,
    );
    // After END no _read comes: bytes read from then on are given back to the connection here.
    if (readable) this.once('end', () => this.#refund());
  }

  get user(): this {
    return this;
  }

  /** Grants the rest of the receive window right after OPEN. */
  grantOpening(): void {
    if (this.#gotEnd) return;
    const extra = this.#win.openingGrant();
    if (extra > 0) this.#host.frame(FrameType.Credit, 0, this.id, u32(extra));
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#pump(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.#gone) this.#host.frame(FrameType.End, 0, this.id);
    this.#sentEnd = true;
    this.#maybeDone();
    cb();
  }

  override _read(): void {
    this.#refund();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Whatever is still buffered is dropped with the stream: the connection gets it back.
    this.#host.release(this.#pushed - this.#credited);
    this.#credited = this.#pushed;
    if (!this.#gone) {
      this.#gone = true;
      if (!(this.#sentEnd && this.#gotEnd)) {
        this.#host.reset(this.id, codeFor(err ?? undefined), err?.message ?? 'stream destroyed');
      } else {
        this.#host.remove(this.id);
      }
    }
    const blocked = this.#blocked;
    this.#blocked = null;
    blocked?.cb(err ?? new Error('stream destroyed'));
    cb(err);
  }

  onData(_flags: number, payload: Buffer): void {
    if (this.#gotEnd || this.destroyed || !this.#win.use(payload.length)) {
      this.#host.release(payload.length);
      this.#lose(ResetCode.FlowControl, 'byte stream overran its credit');
      return;
    }
    this.#pushed += payload.length;
    this.push(payload);
    this.#refund();
  }

  onEnd(): void {
    this.#gotEnd = true;
    this.push(null);
    this.#maybeDone();
  }

  onReset(code: number, reason: string): void {
    this.#gone = true;
    this.#host.remove(this.id);
    this.#destroyWith(errorFor(code, reason));
  }

  onCredit(n: number): void {
    this.#sendCredit += n;
    const b = this.#blocked;
    if (b && this.#sendCredit > 0) {
      this.#blocked = null;
      this.#pump(b.chunk, b.cb);
    }
  }

  fail(err: Error): void {
    this.#gone = true;
    this.#destroyWith(err);
  }

  #pump(chunk: Buffer, cb: (err?: Error | null) => void): void {
    while (chunk.length > 0) {
      if (this.#gone) {
        cb(this.lostError ?? new Error('stream closed'));
        return;
      }
      if (this.#sendCredit <= 0) {
        this.#host.stalled();
        this.#blocked = { chunk, cb };
        return;
      }
      const n = Math.min(chunk.length, this.#sendCredit, MAX_FRAME_PAYLOAD);
      this.#host.frame(FrameType.Data, 0, this.id, chunk.subarray(0, n));
      this.#sendCredit -= n;
      chunk = chunk.subarray(n);
    }
    cb();
  }

  #refund(): void {
    // Bytes the consumer took out of the readable buffer since the last refund.
    const consumed = this.#pushed - this.readableLength - this.#credited;
    if (consumed <= 0) return;
    this.#credited += consumed;
    this.#host.release(consumed);
    if (this.#gone || this.#gotEnd) return;
    const grant = this.#win.consume(consumed);
    if (grant > 0) this.#host.frame(FrameType.Credit, 0, this.id, u32(grant));
  }

  #maybeDone(): void {
    if (this.#sentEnd && this.#gotEnd && !this.#gone) {
      this.#gone = true;
      this.#host.remove(this.id);
    }
  }

  #lose(code: number, reason: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#host.reset(this.id, code, reason);
    this.#destroyWith(errorFor(code, reason));
  }

  #destroyWith(err: Error): void {
    // An 'error' nobody listens for would crash the process; record it and close instead.
    if (this.listenerCount('error') > 0) this.destroy(err);
    else {
      this.lostError = err;
      this.destroy();
    }
  }
}

/** Which directions a local Node stream supports. */
export function streamKind(s: Readable | Writable): number {
  const r = typeof (s as Readable).read === 'function';
  const w = typeof (s as Writable).write === 'function';
  if (r && w) return RefKind.Duplex;
  return r ? RefKind.OutStream : RefKind.InStream;
}

/** Bridges a local stream to its session stream; errors on either side destroy the other. */
export function bridge(local: Readable | Writable, ss: SessionStream, kind: number): void {
  const l = local as Duplex;
  if (kind !== RefKind.InStream) l.pipe(ss);
  if (kind !== RefKind.OutStream) ss.pipe(l);
  l.on('error', (err) => ss.destroy(err));
  ss.on('error', (err) => l.destroy(err));
  ss.on('close', () => {
    if (ss.lostError && !l.destroyed) l.destroy(ss.lostError);
  });
}
