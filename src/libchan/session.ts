/**
 * The session: many channels and byte streams multiplexed over one {@link Wire}. This file holds the
 * public {@link Session} and its life (open → closing → closed, GOAWAY, teardown); it composes the
 * `session-*.ts` parts beside it: the entry table, inbound dispatch, the codec context, connection
 * flow control, PING/PONG and options (docs/ARCHITECTURE.md lists them).
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { ConnectionLostError, ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { ChanOut } from './channel.js';
import { FrameParser, FrameType, RefKind, ResetCode } from './frames.js';
import { decodeCodeReason, encodeCodeReason, type Host, type SessionSettings } from './host.js';
import { ConnectionFlow, type SessionTraffic } from './session-flow.js';
import { type Breach, PreAuthGuard } from './session-guard.js';
import { entryFrame, peerOpen } from './session-inbound.js';
import { resolveSettings, type SessionOptions } from './session-options.js';
import { Pings } from './session-ping.js';
import { openPayload, RefCodec } from './session-refs.js';
import { closedError, SessionTable } from './session-table.js';
import type { Transport, TransportStats } from './transport.js';
import type { Receiver, Sender } from './types.js';
import type { Wire, WireInfo } from './wire.js';

export type { PreAuthLimits, SessionOptions } from './session-options.js';

/** A multiplexed connection. Build one with a transport's `connect`/`listen`, or over any {@link Wire}. */
export class Session implements Transport, Host {
  readonly settings: SessionSettings;
  readonly info: WireInfo;
  /** Resolves when the session is over: `undefined` after a clean close, else the reason. */
  readonly done: Promise<Error | undefined>;
  #resolveDone!: (e: Error | undefined) => void;
  readonly #wire: Wire;
  readonly #parser: FrameParser;
  readonly #clock: Clock;
  readonly #closeTimeoutMs: number;
  readonly #table: SessionTable;
  readonly #flow: ConnectionFlow;
  readonly #refs: RefCodec;
  readonly #pings: Pings;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #peerGoAway = false;
  #error: Error | undefined;
  #closeTimer: TimerHandle | undefined;
  #guard: PreAuthGuard | undefined;

  constructor(wire: Wire, options: SessionOptions) {
    this.settings = resolveSettings(options);
    this.#wire = wire;
    this.info = wire.info;
    this.#clock = options.clock ?? systemClock;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 2000;
    this.#table = new SessionTable(options.role);
    this.#refs = new RefCodec(this, this.#table);
    this.#pings = new Pings(this.#clock);
    this.done = new Promise((r) => {
      this.#resolveDone = r;
    });
    this.#parser = new FrameParser((t, f, id, p) => this.#onFrame(t, f, id, p));
    this.#flow = new ConnectionFlow(wire, this.settings.connectionWindow, this.settings.maxOutputBytes, () =>
      // Not from inside the write that noticed it: the caller may be in the middle of an emit.
      process.nextTick(() =>
        this.#teardown(
          limitError('output', `the peer does not read: over ${this.settings.maxOutputBytes} bytes unsent`),
          true,
        ),
      ),
    );
    if (options.preAuth) this.#guard = new PreAuthGuard(options.preAuth, this.#clock, (b) => this.#refuse(b));
    wire.start({
      data: (chunk) => this.#onData(chunk),
      close: (err) => this.#onWireClose(err),
      drain: () => this.#onDrain(),
    });
    this.#flow.grantOpening();
  }

  // ---- public API -------------------------------------------------------------------------

  newSendChannel<T = unknown>(): Sender<T> {
    this.#checkOpen();
    const id = this.#table.allocId();
    const chan = new ChanOut(this, id, 0, RefKind.OutChannel);
    this.#table.entries.set(id, chan);
    this.frame(FrameType.Open, 0, id, openPayload(RefKind.OutChannel, 0));
    return chan.user as Sender<T>;
  }

  waitReceiveChannel<T = unknown>(): Promise<Receiver<T>> {
    const next = this.#table.takeAccepted();
    if (next) return Promise.resolve(next as Receiver<T>);
    if (this.#state === 'closed') return Promise.reject(this.#error ?? closedError());
    if (this.#peerGoAway) return Promise.reject(closedError('the peer is going away'));
    return this.#table.waitAccept() as Promise<Receiver<T>>;
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
      const lastPeerId = this.#table.lastPeerId;
      this.frame(FrameType.GoAway, 0, 0, encodeCodeReason(ResetCode.NoError, 'closing', lastPeerId));
      this.#maybeFinishClose();
    }
    return this.done.then(() => undefined);
  }

  destroy(err?: Error): void {
    this.#teardown(err ?? new ConnectionLostError('session destroyed locally'), true);
  }

  /**
   * Lifts the pre-authentication limits ({@link SessionOptions.preAuth}): the application has
   * checked who the peer is. Does nothing on a session without them or already authenticated.
   */
  authenticate(): void {
    this.#guard?.dispose();
    this.#guard = undefined;
  }

  /** False while pre-authentication limits apply. */
  get authenticated(): boolean {
    return this.#guard === undefined;
  }

  /** Round-trip time in ms, measured with PING/PONG. */
  ping(): Promise<number> {
    if (this.#state === 'closed') return Promise.reject(this.#error ?? closedError());
    return this.#pings.send(this.#flow);
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  stats(): TransportStats & { queuedFrames: number } {
    return { ...this.#table.counts(), queuedFrames: this.#flow.queued };
  }

  /** What this session has carried so far: bytes and messages each way, credit stalls (live counters). */
  get traffic(): Readonly<SessionTraffic> {
    return this.#flow.traffic;
  }

  // ---- Host (used by entries) ---------------------------------------------------------------

  frame(type: number, flags: number, id: number, payload?: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#flow.send(type, flags, id, payload);
  }

  reset(id: number, code: number, reason: string): void {
    this.frame(FrameType.Reset, 0, id, encodeCodeReason(code, reason));
    this.remove(id);
  }

  remove(id: number): void {
    if (!this.#table.delete(id)) return;
    // Nested refs whose carrying channel is gone can never be decoded: reset them.
    for (const e of this.#table.orphansOf(id)) {
      this.reset(e.id, ResetCode.Cancel, 'carrying channel closed');
      e.fail(closedError('carrying channel closed'));
    }
    if (this.#state === 'closing') this.#maybeFinishClose();
  }

  emit(id: number, value: unknown, moved: Map<object, object> | undefined): void {
    this.#refs.emit(id, value, moved);
    this.#flow.traffic.messagesOut++;
  }

  decode(id: number, bytes: Uint8Array): unknown {
    this.#flow.traffic.messagesIn++;
    return this.#refs.decode(id, bytes);
  }

  stalled(): void {
    this.#flow.traffic.creditStalls++;
  }

  release(n: number): void {
    if (this.#state !== 'closed' && n > 0) this.#flow.release(n);
  }

  refundEarly(n: number): boolean {
    if (this.#state === 'closed') return false;
    return this.#flow.refundEarly(n, this.settings.maxMessageBytes);
  }

  endEarly(n: number): void {
    this.#flow.endEarly(n);
  }

  // ---- inbound ------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    const breach = this.#guard?.bytes(chunk.length);
    if (breach) {
      this.#refuse(breach);
      return;
    }
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
      const breach = this.#guard?.open(payload[0]);
      if (breach) {
        this.#refuse(breach);
        return;
      }
      peerOpen(this, this.#table, this.#state === 'open', id, payload);
      return;
    }
    if (type === FrameType.Data) this.#flow.received(payload.length);
    entryFrame(this, this.#table, type, flags, id, payload);
  }

  #onConnFrame(type: number, payload: Buffer): void {
    switch (type) {
      case FrameType.Credit:
        if (payload.length !== 4) throw new ProtocolError('CREDIT payload must be 4 bytes');
        this.#flow.grant(payload.readUInt32BE(0));
        if (this.#state === 'closing') this.#maybeFinishClose();
        return;
      case FrameType.Ping:
        // Echoing whatever size came would let a peer that never reads make us buffer its PINGs.
        if (payload.length !== 8) throw new ProtocolError('PING payload must be 8 bytes');
        this.#flow.control(FrameType.Pong, payload);
        return;
      case FrameType.Pong:
        this.#pings.pong(payload);
        return;
      case FrameType.GoAway: {
        const { code, reason } = decodeCodeReason(payload, 4);
        this.#peerGoAway = true;
        const err =
          code === ResetCode.NoError
            ? closedError('the peer is going away')
            : new ProtocolError(`peer sent GOAWAY ${code}: ${reason}`);
        this.#table.rejectWaiters(err);
        if (code !== ResetCode.NoError) this.#teardown(err, true);
        return;
      }
      default:
        throw new ProtocolError(`frame type ${type} is not valid on stream 0`);
    }
  }

  // ---- the end ------------------------------------------------------------------------------

  /** A graceful close ends the wire once every queued frame is out, then waits for the peer. */
  #maybeFinishClose(): void {
    if (!this.#flow.idle || this.#closeTimer !== undefined) return;
    this.#flow.flush();
    this.#wire.end();
    this.#closeTimer = this.#clock.setTimeout(() => this.#wire.destroy(), this.#closeTimeoutMs);
  }

  /** The transport took what it held: queued frames may go, and a graceful close may finish. */
  #onDrain(): void {
    if (this.#state === 'closed') return;
    this.#flow.pump();
    if (this.#state === 'closing') this.#maybeFinishClose();
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

  /** The peer broke the protocol: tell it why (GOAWAY), end the wire, fail everything. */
  #connError(err: SwarmError, code: number = ResetCode.Protocol): void {
    if (this.#state === 'closed') return;
    const lastPeerId = this.#table.lastPeerId;
    this.#flow.control(FrameType.GoAway, encodeCodeReason(code, err.message, lastPeerId));
    this.#flow.flush();
    this.#wire.end();
    // Whatever else it sends is dropped unread: a flooding peer meets a full socket, not our CPU.
    this.#wire.pause?.();
    this.#teardown(err, false);
    this.#closeTimer = this.#clock.setTimeout(() => this.#wire.destroy(), this.#closeTimeoutMs);
  }

  /** An unauthenticated peer went past a pre-auth limit: GOAWAY REFUSED with the reason, then the end. */
  #refuse(b: Breach): void {
    this.#connError(limitError(b.limit, `session refused: ${b.reason}`), ResetCode.Refused);
  }

  /** Ends the session. `reason` resolves `done`; entries fail with `entryErr` (default: reason or Closed). */
  #teardown(reason: Error | undefined, destroyWire: boolean, entryErr?: Error): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#error = reason;
    this.#guard?.dispose();
    const failWith = entryErr ?? reason ?? closedError('session closed');
    this.#flow.close();
    if (destroyWire) this.#wire.destroy();
    for (const e of this.#table.clear()) e.fail(failWith);
    this.#table.rejectWaiters(failWith);
    this.#pings.failAll(failWith);
    this.#resolveDone(reason);
  }

  #checkOpen(): void {
    if (this.#state !== 'open') throw this.#error ?? closedError();
    if (this.#peerGoAway) throw closedError('the peer is going away');
  }
}

/** The error a session ends with when the peer went past one of its limits. */
function limitError(limit: string, message: string): SwarmError {
  return new SwarmError(ErrorCode.LimitReached, message, { details: { limit } });
}
