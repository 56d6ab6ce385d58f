/**
 * Flow-control windows (PROTOCOL.md Part 1, "Flow control"). Every window starts at a fixed initial
 * value known to both sides, so the first messages need no round trip; a receiver that wants a
 * larger window grants the difference with a CREDIT frame right after the OPEN.
 * @module
 */

/** Messages a sender may start on a new channel before any CREDIT. */
export const INITIAL_CHANNEL_CREDIT = 64;
/** Bytes a writer may send on a new byte stream before any CREDIT. */
export const INITIAL_STREAM_CREDIT = 64 * 1024;
/** DATA payload bytes a session may send on a new connection before any CREDIT on id 0. */
export const INITIAL_CONNECTION_CREDIT = 1 << 20;

/**
 * The receiving side of one window: tracks how much the peer may still send and when to refund.
 * Refunds are batched (a quarter of the window) so a busy channel costs one CREDIT frame per
 * `window / 4` messages or bytes, not one per message.
 */
export class InboundWindow {
  /** How much the peer may still send. */
  allowance: number;
  readonly window: number;
  #consumed = 0;
  readonly #threshold: number;

  constructor(initial: number, window: number) {
    this.allowance = initial;
    this.window = Math.max(window, initial);
    this.#threshold = Math.max(1, Math.floor(this.window / 4));
  }

  /** The extra grant to announce right after the OPEN (0 when the window is the initial one). */
  openingGrant(): number {
    const extra = this.window - this.allowance;
    this.allowance = this.window;
    return extra;
  }

  /** The peer used `n`; false when it overran its allowance (a flow-control violation). */
  use(n: number): boolean {
    this.allowance -= n;
    return this.allowance >= 0;
  }

  /** The application consumed `n`; returns the credit to send now, or 0 to keep batching. */
  consume(n: number): number {
    this.#consumed += n;
    if (this.#consumed < this.#threshold) return 0;
    const grant = this.#consumed;
    this.#consumed = 0;
    this.allowance += grant;
    return grant;
  }
}
