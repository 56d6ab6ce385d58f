/**
 * Channel entries of a session: {@link ChanIn} (we receive messages) and {@link ChanOut} (we send),
 * and {@link RemoteSender}, the Sender handed to users for a ChanOut.
 * @module
 */
import { ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { INITIAL_CHANNEL_CREDIT, InboundWindow } from './credit.js';
import { FLAG_MORE, FrameType, ResetCode } from './frames.js';
import { HeldBytes } from './held.js';
import { codeFor, type Entry, errorFor, type Host } from './host.js';
import { movedError, PipeCore, PipeReceiver } from './pipe.js';
import { type Abortable, isReceiver, isSender, kAbort, kMove, kSender, type Sender } from './types.js';

/** A channel on which we receive: decoded messages queue in a bounded pipe core. */
export class ChanIn implements Entry {
  readonly id: number;
  readonly parent: number;
  readonly kind: number;
  readonly user: PipeReceiver;
  readonly core: PipeCore<unknown>;
  readonly #host: Host;
  readonly #win: InboundWindow;
  #parts: Buffer[] | null = null;
  #partsLen = 0;
  #gone = false;
  readonly #held: HeldBytes;

  constructor(host: Host, id: number, parent: number, kind: number) {
    this.#host = host;
    this.id = id;
    this.parent = parent;
    this.kind = kind;
    this.#win = new InboundWindow(INITIAL_CHANNEL_CREDIT, host.settings.channelWindow);
    this.#held = new HeldBytes(host);
    // Capacity = window: the peer can never have more than a window of unconsumed messages.
    this.core = new PipeCore<unknown>(
      this.#win.window,
      { onTake: () => this.#taken(), onCancel: () => this.#cancelled(), onFinish: () => this.#finished() },
      'fail',
    );
    this.user = new PipeReceiver(this.core);
  }

  /** Grants the rest of the window right after OPEN (sent or received). */
  grantOpening(): void {
    const extra = this.#win.openingGrant();
    if (extra > 0) this.#host.frame(FrameType.Credit, 0, this.id, u32(extra));
  }

  onData(flags: number, payload: Buffer): void {
    if (this.#gone) {
      this.#host.release(payload.length);
      return;
    }
    if (this.#parts === null && !this.#win.use(1)) {
      this.#host.release(payload.length);
      this.#violate(ResetCode.FlowControl, 'message sent without channel credit');
      return;
    }
    if (flags & FLAG_MORE) {
      this.#parts ??= [];
      this.#parts.push(payload);
      this.#partsLen += payload.length;
      this.#held.part(payload.length);
      if (this.#partsLen > this.#host.settings.maxMessageBytes) {
        this.#violate(ResetCode.TooLarge, `message over ${this.#host.settings.maxMessageBytes} bytes`);
      }
      return;
    }
    let bytes = payload;
    const size = this.#partsLen + payload.length;
    if (this.#parts !== null) {
      this.#parts.push(payload);
      bytes = Buffer.concat(this.#parts, size);
      this.#parts = null;
      this.#partsLen = 0;
    }
    let value: unknown;
    try {
      value = this.#host.decode(this.id, bytes);
    } catch (err) {
      this.#held.dropPart(payload.length);
      const e = err instanceof ProtocolError ? err : new ProtocolError(String(err));
      this.#violate(ResetCode.Protocol, e.message, e);
      return;
    }
    this.#held.queued(payload.length);
    this.core.mailbox.send(value);
  }

  onEnd(): void {
    if (this.#parts !== null) {
      this.#violate(ResetCode.Protocol, 'END inside a message');
      return;
    }
    this.#gone = true;
    this.#host.remove(this.id);
    this.core.end();
  }

  onReset(code: number, reason: string): void {
    this.#gone = true;
    this.#host.remove(this.id);
    this.core.fail(errorFor(code, reason));
  }

  onCredit(): void {
    // Credit flows towards the sender only; a stray one is harmless.
  }

  fail(err: Error): void {
    this.#gone = true;
    this.core.fail(err);
  }

  #taken(): void {
    this.#held.taken();
    if (this.#gone) return;
    const grant = this.#win.consume(1);
    if (grant > 0) this.#host.frame(FrameType.Credit, 0, this.id, u32(grant));
  }

  /** Nothing more will be taken (EOF, cancelled, or failed and drained): what is left is dropped. */
  #finished(): void {
    this.#held.dropAll();
    this.#parts = null;
    this.#partsLen = 0;
  }

  #cancelled(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#host.reset(this.id, ResetCode.Cancel, 'receiver closed');
  }

  #violate(code: number, reason: string, err?: Error): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#held.dropPart();
    this.#partsLen = 0;
    this.#parts = null;
    this.#host.reset(this.id, code, reason);
    this.core.fail(err ?? new ProtocolError(reason, { details: { resetCode: code } }));
  }
}

interface Pending {
  value: unknown;
  moved: Map<object, object> | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A channel on which we send: message credit, sends waiting for credit, half-close. */
export class ChanOut implements Entry {
  readonly id: number;
  readonly parent: number;
  readonly kind: number;
  readonly user: RemoteSender;
  /**
   * Called once when the channel stops for good without our END (cancelled, reset, connection lost).
   * A session that proxies a local Receiver into this channel closes that Receiver here, so the
   * local sender learns at once instead of at its next send.
   */
  onStop: (() => void) | undefined;
  readonly #host: Host;
  #credit = INITIAL_CHANNEL_CREDIT;
  #pending: Pending[] = [];
  #ending = false;
  #state: 'open' | 'ended' | 'cancelled' | 'failed' = 'open';
  #error: Error | undefined;

  constructor(host: Host, id: number, parent: number, kind: number) {
    this.#host = host;
    this.id = id;
    this.parent = parent;
    this.kind = kind;
    this.user = new RemoteSender(this);
  }

  get closed(): boolean {
    return this.#state !== 'open' || this.#ending;
  }

  /** Sends waiting for credit. */
  get waiting(): number {
    return this.#pending.length;
  }

  send(value: unknown): Promise<void> | undefined {
    if (this.#state === 'failed') throw this.#error;
    if (this.#state === 'cancelled')
      throw new SwarmError(ErrorCode.Closed, 'the receiver closed the channel');
    if (this.#state === 'ended' || this.#ending) {
      throw new SwarmError(ErrorCode.Closed, 'the sender already closed the channel');
    }
    if (this.#credit > 0 && this.#pending.length === 0) {
      this.#credit--;
      this.#host.emit(this.id, value, undefined);
      return undefined;
    }
    // No credit: detach the ends now (ownership moves at send()), encode when credit arrives.
    if (this.#pending.length === 0) this.#host.stalled();
    const moved = detachRefs(value);
    return new Promise((resolve, reject) => this.#pending.push({ value, moved, resolve, reject }));
  }

  close(): void {
    if (this.#state !== 'open' || this.#ending) return;
    this.#ending = true;
    if (this.#pending.length === 0) this.#end();
  }

  abort(err: Error): void {
    if (this.#state !== 'open') return;
    this.#fail(err);
    this.#host.reset(this.id, codeFor(err), err.message);
  }

  onCredit(n: number): void {
    if (this.#state !== 'open') return;
    this.#credit += n;
    while (this.#credit > 0 && this.#pending.length > 0) {
      const p = this.#pending.shift() as Pending;
      this.#credit--;
      try {
        this.#host.emit(this.id, p.value, p.moved);
        p.resolve();
      } catch (err) {
        p.reject(err as Error);
      }
    }
    if (this.#ending && this.#pending.length === 0) this.#end();
  }

  onData(_flags: number, payload: Buffer): void {
    this.#host.release(payload.length);
    this.abort(new ProtocolError('DATA on a channel the peer receives'));
  }

  onEnd(): void {
    // The receiving side never half-closes a channel; tolerate it as a cancel.
    this.onReset(ResetCode.Cancel, 'receiver ended');
  }

  onReset(code: number, reason: string): void {
    if (this.#state !== 'open') return;
    this.#host.remove(this.id);
    if (code === ResetCode.Cancel) {
      this.#state = 'cancelled';
      this.#drop(new SwarmError(ErrorCode.Closed, 'the receiver closed the channel'));
    } else {
      this.#fail(errorFor(code, reason));
    }
  }

  fail(err: Error): void {
    if (this.#state === 'open') this.#fail(err);
  }

  #end(): void {
    this.#state = 'ended';
    this.#host.frame(FrameType.End, 0, this.id);
    this.#host.remove(this.id);
  }

  #fail(err: Error): void {
    this.#state = 'failed';
    this.#error = err;
    this.#drop(err);
  }

  /** Rejects waiting sends and closes the ends they carried (their message will never be sent). */
  #drop(err: Error): void {
    const stop = this.onStop;
    this.onStop = undefined;
    stop?.();
    const ps = this.#pending;
    this.#pending = [];
    for (const p of ps) {
      for (const end of p.moved?.values() ?? []) (end as { close(): void }).close();
      p.reject(err);
    }
  }
}

/** The Sender a user holds for a channel whose receiver is in another process. */
export class RemoteSender<T = unknown> implements Sender<T>, Abortable {
  readonly [kSender] = true as const;
  readonly #chan: ChanOut;
  #moved = false;

  constructor(chan: ChanOut) {
    this.#chan = chan;
  }

  send(value: T): Promise<void> | undefined {
    if (this.#moved) throw movedError();
    return this.#chan.send(value);
  }

  close(): void {
    if (!this.#moved) this.#chan.close();
  }

  get closed(): boolean {
    return this.#moved || this.#chan.closed;
  }

  [kAbort](err: Error): void {
    if (!this.#moved) this.#chan.abort(err);
  }

  [kMove](): RemoteSender<T> {
    if (this.#moved) throw movedError();
    this.#moved = true;
    return new RemoteSender<T>(this.#chan);
  }
}

/** Detaches every movable Sender/Receiver inside `value`; returns original → new handle, or undefined. */
export function detachRefs(value: unknown): Map<object, object> | undefined {
  let map: Map<object, object> | undefined;
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (typeof v !== 'object' || v === null || depth > 64 || seen.has(v)) return;
    seen.add(v);
    if (isSender(v) || isReceiver(v)) {
      const move = (v as { [kMove]?: () => object })[kMove];
      if (typeof move === 'function') {
        map ??= new Map();
        map.set(v, move.call(v));
      }
      return;
    }
    if (ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
    } else if (v instanceof Map) {
      for (const [k, x] of v) {
        walk(k, depth + 1);
        walk(x, depth + 1);
      }
    } else if (v instanceof Set) {
      for (const x of v) walk(x, depth + 1);
    } else {
      for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], depth + 1);
    }
  };
  walk(value, 0);
  return map;
}

/** A 4-byte big-endian uint (CREDIT payload). */
export function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n, 0);
  return b;
}
