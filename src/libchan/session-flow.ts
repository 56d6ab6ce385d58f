/**
 * Connection-level flow control of a session (PROTOCOL.md Part 1, "Flow control", stream 0): the ordered
 * outbound frame queue that waits for the peer's connection CREDIT and for the transport to drain, and
 * our own inbound connection window. Per-channel and per-stream windows live in their entries
 * (channel.ts, stream-proxy.ts).
 * @module
 */
import { ProtocolError } from '../errors.js';
import { u32 } from './channel.js';
import { INITIAL_CONNECTION_CREDIT, InboundWindow } from './credit.js';
import { FrameType } from './frames.js';
import type { Wire } from './wire.js';
import { FrameWriter } from './writer.js';

/**
 * Bytes the transport may hold unsent before ordered frames wait in our queue for it to drain. Well
 * above a socket's kernel buffer so a fast peer never waits on us, well below the output cap so
 * ordinary traffic can never reach it (only stream-0 answers bypass the queue).
 */
export const OUTPUT_HIGH_WATER = 1 << 20;

/**
 * What one session has carried so far, counted where it happens (for monitoring: swarmd `--admin`
 * reads it through the link stages). Plain integer fields, bumped in place: no allocation per frame.
 */
export interface SessionTraffic {
  /** DATA payload bytes sent and received: messages and byte streams (no frame headers, no control frames). */
  bytesOut: number;
  bytesIn: number;
  /** Messages sent and received on channels (a message split over several frames counts once). */
  messagesOut: number;
  messagesIn: number;
  /**
   * Times sending had to wait: an ordered frame queued behind the peer's connection credit or a full
   * transport, a channel message for the channel's credit, or byte-stream data for the stream's
   * credit. One per wait, not per frame.
   */
  creditStalls: number;
}

interface Queued {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array | undefined;
}

/**
 * Both directions of the connection window over one coalescing {@link FrameWriter}. Ordered frames
 * ({@link send}) keep their order even when only DATA needs credit: once one frame waits, every later
 * frame queues behind it. Stream-0 control frames ({@link control}) never wait.
 */
export class ConnectionFlow {
  readonly #wire: Wire;
  readonly #writer: FrameWriter;
  readonly #in: InboundWindow;
  #credit = INITIAL_CONNECTION_CREDIT;
  #queue: Queued[] = [];
  #head = 0;
  /** Bytes refunded by {@link refundEarly} whose message is not taken yet. */
  #early = 0;
  /** Counters only; nothing here reads them. */
  readonly traffic: SessionTraffic = {
    bytesOut: 0,
    bytesIn: 0,
    messagesOut: 0,
    messagesIn: 0,
    creditStalls: 0,
  };

  /** `onOverflow`: the transport holds more than `maxOut` unsent bytes (the peer does not read). */
  constructor(wire: Wire, window: number, maxOut: number, onOverflow: () => void) {
    this.#wire = wire;
    this.#writer = new FrameWriter(wire, Math.max(maxOut, 2 * OUTPUT_HIGH_WATER + (1 << 20)), onOverflow);
    this.#in = new InboundWindow(INITIAL_CONNECTION_CREDIT, window);
  }

  /** Grants the peer the rest of our window (once, when the wire has started). */
  grantOpening(): void {
    const extra = this.#in.openingGrant();
    if (extra > 0) this.#writer.frame(FrameType.Credit, 0, 0, u32(extra));
  }

  /** Frames waiting for connection credit or for the transport (or behind one that is). */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /** True when nothing waits for credit. */
  get idle(): boolean {
    return this.#head === this.#queue.length;
  }

  /** Sends an ordered frame now when nothing is queued, the transport is not full and (for DATA) credit allows. */
  send(type: number, flags: number, id: number, payload?: Uint8Array): void {
    if (this.#head === this.#queue.length && !this.#congested()) {
      if (type !== FrameType.Data) {
        this.#writer.frame(type, flags, id, payload);
        return;
      }
      const len = (payload as Uint8Array).length;
      if (len <= this.#credit) {
        this.#credit -= len;
        this.traffic.bytesOut += len;
        this.#writer.frame(type, flags, id, payload);
        return;
      }
    }
    if (this.#head === this.#queue.length) this.traffic.creditStalls++;
    this.#queue.push({ type, flags, id, payload });
  }

  /** Writes a stream-0 control frame (CREDIT, PING, PONG, GOAWAY) at once, ahead of queued frames. */
  control(type: number, payload: Uint8Array): void {
    this.#writer.frame(type, 0, 0, payload);
  }

  /** The peer granted `n` connection bytes: sends what the queue can now afford, in order. */
  grant(n: number): void {
    this.#credit += n;
    this.pump();
  }

  /** Sends queued frames while credit and the transport allow (also called when the transport drains). */
  pump(): void {
    const q = this.#queue;
    while (this.#head < q.length && !this.#congested()) {
      const f = q[this.#head] as Queued;
      if (f.type === FrameType.Data) {
        const len = (f.payload as Uint8Array).length;
        if (len > this.#credit) break;
        this.#credit -= len;
        this.traffic.bytesOut += len;
      }
      this.#head++;
      this.#writer.frame(f.type, f.flags, f.id, f.payload);
    }
    if (this.#head === q.length) {
      this.#queue = [];
      this.#head = 0;
    }
  }

  /** The peer sent `n` DATA bytes: throws ProtocolError when that overruns the window. */
  received(n: number): void {
    this.traffic.bytesIn += n;
    if (!this.#in.use(n)) throw new ProtocolError('connection flow-control window overrun');
  }

  /**
   * `n` received DATA bytes were consumed by their reader (or dropped): refunds them in batches. Not
   * on arrival, so what a peer can make us hold (unread messages, unclaimed streams, unfinished
   * multi-frame messages) is bounded by the connection window as a whole.
   */
  release(n: number): void {
    const grant = this.#in.consume(n);
    if (grant > 0) this.#writer.frame(FrameType.Credit, 0, 0, u32(grant));
  }

  /** Refunds `n` bytes of an unfinished message now if the assembly budget allows (see held.ts). */
  refundEarly(n: number, budget: number): boolean {
    if (this.#early + n > budget) return false;
    this.#early += n;
    this.release(n);
    return true;
  }

  /** Bytes refunded early were consumed or dropped: the assembly budget gets them back. */
  endEarly(n: number): void {
    this.#early -= n;
  }

  /** Hands pending bytes to the wire now (before ending it). */
  flush(): void {
    this.#writer.flush();
  }

  /** Drops queued and unflushed frames and ignores later ones: the session is over. */
  close(): void {
    this.#writer.close();
    this.#queue = [];
    this.#head = 0;
  }

  #congested(): boolean {
    const held = this.#wire.bufferedAmount;
    return held !== undefined && held.call(this.#wire) > OUTPUT_HIGH_WATER;
  }
}
