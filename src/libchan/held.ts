/**
 * The DATA bytes a receiving channel holds against the connection window (PROTOCOL.md 1.5): each
 * message's bytes go back to the connection when the reader takes it, or when it is dropped.
 *
 * A message may be larger than the whole connection window (messages go up to `maxMessageBytes`),
 * so the frames of an unfinished message (MORE) are refunded at once instead, as long as the
 * session's assembly budget (all such bytes, every channel, until their message is taken) allows;
 * past it they are held like the rest. Memory a peer can make us hold is thus at most the
 * connection window plus the assembly budget, and one big message can never stall its own channel.
 * @module
 */
import type { Host } from './host.js';

/** Per-channel accounting of received DATA bytes not yet given back to the connection. */
export class HeldBytes {
  readonly #host: Host;
  #partCharged = 0;
  #partEarly = 0;
  /** Queued messages as pairs: bytes still charged to the window, bytes refunded early. */
  #q: number[] = [];
  #head = 0;

  constructor(host: Host) {
    this.#host = host;
  }

  /** Bytes of the unfinished message (for the size limit). */
  get partial(): number {
    return this.#partCharged + this.#partEarly;
  }

  /** A MORE frame of `n` bytes joined the unfinished message. */
  part(n: number): void {
    if (this.#host.refundEarly(n)) this.#partEarly += n;
    else this.#partCharged += n;
  }

  /** The last frame (`n` bytes) completed a message that went into the queue. */
  queued(n: number): void {
    this.#q.push(this.#partCharged + n, this.#partEarly);
    this.#partCharged = 0;
    this.#partEarly = 0;
  }

  /** The unfinished message (plus a last frame of `n` bytes, if one came) is dropped. */
  dropPart(n = 0): void {
    this.#give(this.#partCharged + n, this.#partEarly);
    this.#partCharged = 0;
    this.#partEarly = 0;
  }

  /** The reader took the oldest queued message. */
  taken(): void {
    if (this.#head >= this.#q.length) return;
    this.#give(this.#q[this.#head] as number, this.#q[this.#head + 1] as number);
    this.#head += 2;
    if (this.#head === this.#q.length) {
      this.#q = [];
      this.#head = 0;
    } else if (this.#head > 128 && this.#head * 2 > this.#q.length) {
      this.#q = this.#q.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Nothing more will be taken: everything held is dropped. */
  dropAll(): void {
    let charged = this.#partCharged;
    let early = this.#partEarly;
    for (let i = this.#head; i < this.#q.length; i += 2) {
      charged += this.#q[i] as number;
      early += this.#q[i + 1] as number;
    }
    this.#q = [];
    this.#head = 0;
    this.#partCharged = 0;
    this.#partEarly = 0;
    this.#give(charged, early);
  }

  #give(charged: number, early: number): void {
    if (charged > 0) this.#host.release(charged);
    if (early > 0) this.#host.endEarly(early);
  }
}
