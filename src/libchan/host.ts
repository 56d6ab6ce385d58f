/**
 * What a channel or stream entry needs from its session, plus the RESET code ↔ error mapping.
 * Kept apart from session.ts so entries and the session do not import each other.
 * @module
 */
import { ConnectionLostError, ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { ResetCode } from './frames.js';

/** Resolved session settings. */
export interface SessionSettings {
  /** Messages a receiving channel lets the peer have in flight. */
  channelWindow: number;
  /** Bytes a receiving byte stream lets the peer have in flight. */
  streamWindow: number;
  /** DATA bytes the whole connection lets the peer have in flight. */
  connectionWindow: number;
  /** Largest message accepted (bytes of CBOR); bigger ones reset the channel with TOO_LARGE. */
  maxMessageBytes: number;
  /** Top-level channels opened by the peer and not yet taken by `waitReceiveChannel`. */
  acceptBacklog: number;
  /** Nested channels and streams opened by the peer whose carrying message has not been decoded. */
  maxUnclaimed: number;
  /**
   * Channels and byte streams open at once, ours and the peer's together; an OPEN from the peer
   * beyond it is RESET REFUSED (each entry holds buffers, so an unbounded table is unbounded memory).
   */
  maxEntries: number;
  /**
   * Bytes written to the transport that the peer has not taken yet. Ordered frames stop at a
   * high-water mark well below this, so only a peer that does not read while making us answer
   * (PONG, CREDIT, RESET) gets here; the session is then cut off.
   */
  maxOutputBytes: number;
}

/** A table entry: one channel or byte stream multiplexed on the session. */
export interface Entry {
  readonly id: number;
  /** Parent channel id (0 for top-level). */
  readonly parent: number;
  /** The kind as the opener announced it. */
  readonly kind: number;
  /** What a decoded reference to this id turns into. */
  readonly user: unknown;
  onData(flags: number, payload: Buffer): void;
  onEnd(): void;
  onReset(code: number, reason: string): void;
  onCredit(n: number): void;
  /** The connection is gone: fail without sending anything. */
  fail(err: Error): void;
}

/** The session as seen by its entries. */
export interface Host {
  readonly settings: SessionSettings;
  /** Queues an ordered frame (OPEN, DATA, END, RESET, CREDIT) for `id`. */
  frame(type: number, flags: number, id: number, payload?: Uint8Array): void;
  /** Sends RESET and forgets the entry. */
  reset(id: number, code: number, reason: string): void;
  /** Forgets the entry (no frame). Also resets nested refs it carried that were never decoded. */
  remove(id: number): void;
  /**
   * Encodes `value` as one message on channel `id` and queues its frames: OPENs for the references it
   * carries, then DATA. `moved` maps ends detached at `send()` time to their new handles.
   */
  emit(id: number, value: unknown, moved: Map<object, object> | undefined): void;
  /** Decodes a complete message that arrived on channel `id`. */
  decode(id: number, bytes: Uint8Array): unknown;
  /**
   * `n` DATA bytes the peer sent are consumed (taken by the reader) or dropped: the connection window
   * may refund them. Every DATA byte an entry is handed is released exactly once.
   */
  release(n: number): void;
  /**
   * Refunds `n` bytes of an unfinished message at once when the session's assembly budget allows
   * (see held.ts); true when it did. Such bytes are given back with {@link endEarly}, not `release`.
   */
  refundEarly(n: number): boolean;
  /** `n` bytes refunded by {@link refundEarly} are consumed or dropped: the budget gets them back. */
  endEarly(n: number): void;
  /** A send on a channel or a write on a byte stream waits for its credit (counted for monitoring only). */
  stalled(): void;
}

/** The error a receiver or writer sees for a RESET with `code`. */
export function errorFor(code: number, reason: string): Error {
  const details = { resetCode: code };
  switch (code) {
    case ResetCode.Cancel:
      return new SwarmError(ErrorCode.Closed, reason || 'the peer closed the channel', { details });
    case ResetCode.ConnectionLost:
      return new ConnectionLostError(reason || 'connection lost upstream', { details });
    case ResetCode.Protocol:
    case ResetCode.FlowControl:
    case ResetCode.TooLarge:
      return new ProtocolError(reason || 'protocol error', { details });
    default:
      return new SwarmError(ErrorCode.Reset, reason || `reset with code ${code}`, { details });
  }
}

/** The RESET code that carries `err` to the peer. */
export function codeFor(err: Error | undefined): number {
  if (!err) return ResetCode.Cancel;
  const code = (err as { code?: unknown }).code;
  if (code === ErrorCode.ConnectionLost) return ResetCode.ConnectionLost;
  if (code === ErrorCode.Protocol) return ResetCode.Protocol;
  if (code === ErrorCode.Closed) return ResetCode.Cancel;
  return ResetCode.Aborted;
}

/** RESET / GOAWAY payload: u32 code then UTF-8 reason (truncated to 1 KiB). */
export function encodeCodeReason(code: number, reason: string, prefix?: number): Buffer {
  const text = Buffer.from(reason.slice(0, 1024));
  const off = prefix === undefined ? 0 : 4;
  const b = Buffer.allocUnsafe(off + 4 + text.length);
  if (prefix !== undefined) b.writeUInt32BE(prefix, 0);
  b.writeUInt32BE(code, off);
  text.copy(b, off + 4);
  return b;
}

/** Parses {@link encodeCodeReason}; throws ProtocolError when too short. */
export function decodeCodeReason(p: Buffer, off = 0): { code: number; reason: string } {
  if (p.length < off + 4) throw new ProtocolError('short RESET/GOAWAY payload');
  return { code: p.readUInt32BE(off), reason: p.toString('utf8', off + 4) };
}
