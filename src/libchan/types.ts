/**
 * The channel contract shared by every layer above libchan. An actor's address is a {@link Sender};
 * a reply channel inside a message is just another Sender. Values may carry Senders, Receivers and
 * Node byte streams at any depth; in one process they travel by reference, across processes the
 * session proxies them.
 * @module
 */

/** Marks an object as a Sender so codecs and proxies recognise it without `instanceof`. */
export const kSender: unique symbol = Symbol.for('libswarm.sender');
/** Marks an object as a Receiver. */
export const kReceiver: unique symbol = Symbol.for('libswarm.receiver');

/** Returned by {@link Receiver.receive} once the sender closed cleanly. Never confused with a lost connection. */
export const EOF: unique symbol = Symbol.for('libswarm.eof');
/** The type of {@link EOF}. */
export type EOF = typeof EOF;

/** The sending end of a channel. */
export interface Sender<T = unknown> {
  readonly [kSender]: true;
  /**
   * Sends one value. Returns `undefined` when the value was accepted at once, or a promise when the
   * caller must wait (backpressure, flow-control credit). Errors: `SWARM_ERR_CLOSED` after close or
   * receiver cancel, `SWARM_ERR_CONNECTION_LOST`, `SWARM_ERR_MOVED` after this end was sent away,
   * `SWARM_ERR_MAILBOX_FULL` under the `fail` policy.
   */
  send(value: T): Promise<void> | undefined;
  /** Half-closes: the receiver gets {@link EOF} after the values already sent. Twice is a no-op. */
  close(): void;
  /** True once closed by either end. */
  readonly closed: boolean;
}

/** The receiving end of a channel. */
export interface Receiver<T = unknown> extends AsyncIterable<T> {
  readonly [kReceiver]: true;
  /**
   * The next value, or {@link EOF} after a clean close. Rejects with `SWARM_ERR_CONNECTION_LOST`
   * when the transport died, or with the peer's reset error.
   */
  receive(): Promise<T | EOF>;
  /** Tells the sender to stop (its next send fails with `SWARM_ERR_CLOSED`). Twice is a no-op. */
  close(): void;
  readonly closed: boolean;
}

/** True when `value` is a {@link Sender}. */
export function isSender(value: unknown): value is Sender {
  return typeof value === 'object' && value !== null && (value as { [kSender]?: unknown })[kSender] === true;
}

/** True when `value` is a {@link Receiver}. */
export function isReceiver(value: unknown): value is Receiver {
  return (
    typeof value === 'object' && value !== null && (value as { [kReceiver]?: unknown })[kReceiver] === true
  );
}

/**
 * Optional method on a channel end: hand ownership to the caller. It returns a fresh handle that owns
 * the channel and marks the original as moved, so later use of the original throws `SWARM_ERR_MOVED`.
 * Sessions call it when an end is sent to another process. Ends without it (for example an actor's
 * address, which may be shared freely) are forwarded without being marked.
 */
export const kMove: unique symbol = Symbol.for('libswarm.move');
/**
 * Optional method on a Sender: end the channel with an error instead of a clean EOF, so the receiver's
 * `receive()` rejects with it. Proxies use it to pass a lost connection on without faking an EOF.
 */
export const kAbort: unique symbol = Symbol.for('libswarm.abort');

/** A channel end that supports {@link kMove}. */
export interface Movable<E> {
  [kMove](): E;
}

/** A Sender that supports {@link kAbort}. */
export interface Abortable {
  [kAbort](err: Error): void;
}
