/**
 * The connection-level contract shared by sessions (network transports) and the memory transport.
 * @module
 */
import type { Receiver, Sender } from './types.js';

/** Table sizes, for leak checks: all zero once every channel and stream is closed. */
export interface TransportStats {
  /** Channels (top-level and nested) still tracked. */
  channels: number;
  /** Byte streams still tracked. */
  streams: number;
  /** Nested references opened by the peer whose carrying message was not decoded yet. */
  unclaimed: number;
  /** Top-level channels opened by the peer and not yet taken by `waitReceiveChannel`. */
  pendingAccept: number;
}

/**
 * One connection between two endpoints (libchan's Transport). Either side may open top-level
 * channels; the opener holds the Sender and the peer takes the Receiver from `waitReceiveChannel`.
 */
export interface Transport {
  /** Opens a top-level channel towards the peer and returns its Sender. */
  newSendChannel<T = unknown>(): Sender<T>;
  /**
   * The Receiver of the next top-level channel the peer opened, in order. Rejects with
   * `SWARM_ERR_CONNECTION_LOST` when the connection dies and `SWARM_ERR_CLOSED` after a clean close.
   */
  waitReceiveChannel<T = unknown>(): Promise<Receiver<T>>;
  /** Graceful close: queued frames go out, then GOAWAY, then the connection ends. */
  close(): Promise<void>;
  /** Abrupt close: every pending operation fails at once. */
  destroy(err?: Error): void;
  stats(): TransportStats;
}
