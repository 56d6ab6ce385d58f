/**
 * Channels and streams inside messages: the session's {@link CodecContext}. Encoding a message turns
 * every Sender, Receiver and Node stream in it into a `[kind, id]` reference and OPENs a sub-stream
 * for it (before the message's DATA, so the peer registers it first); decoding claims the sub-streams
 * the peer opened for that very message.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { ProtocolError } from '../errors.js';
import { ChanIn, ChanOut } from './channel.js';
import { boxPlainRefs, type CodecContext, decodeMessage, encodeMessage } from './codec.js';
import { pump } from './copy.js';
import { FLAG_MORE, FrameType, MAX_FRAME_PAYLOAD, RefKind, ResetCode } from './frames.js';
import type { Entry, Host } from './host.js';
import type { SessionTable } from './session-table.js';
import { bridge, SessionStream, streamKind } from './stream-proxy.js';
import { isReceiver, isSender, kMove, type Receiver, type Sender } from './types.js';

interface LocalOpen {
  id: number;
  kind: number;
  /** The value found in the message. */
  source: object;
  /** What the sub-stream is connected to: `source`, or the fresh handle it moved into. */
  target: object;
}

/** The 5-byte OPEN payload: kind, then the parent channel id (0 for top-level). */
export function openPayload(kind: number, parent: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = kind;
  b.writeUInt32BE(parent, 1);
  return b;
}

/**
 * Encodes and decodes messages for one session. Its fields are valid only during one synchronous
 * encode or decode (the codec calls back into it), which is why one instance serves the session.
 */
export class RefCodec implements CodecContext {
  readonly #host: Host;
  readonly #table: SessionTable;
  #opens: LocalOpen[] | null = null;
  #moved: Map<object, object> | undefined;
  #decChan = 0;
  #claimed: Entry[] | null = null;

  constructor(host: Host, table: SessionTable) {
    this.#host = host;
    this.#table = table;
  }

  /** {@link Host.emit}: OPENs for the references in `value`, then its DATA frames on channel `id`. */
  emit(id: number, value: unknown, moved: Map<object, object> | undefined): void {
    this.#opens = null;
    this.#moved = moved;
    let payload: Buffer;
    try {
      payload = this.#encode(value);
    } catch (err) {
      for (const o of (this.#opens as LocalOpen[] | null) ?? []) closeEnd(o.target);
      throw err;
    } finally {
      this.#moved = undefined;
    }
    const opens = this.#opens as LocalOpen[] | null;
    this.#opens = null;
    if (opens !== null) for (const o of opens) this.#openLocal(o, id);
    const host = this.#host;
    if (payload.length <= MAX_FRAME_PAYLOAD) {
      host.frame(FrameType.Data, 0, id, payload);
      return;
    }
    for (let off = 0; off < payload.length; off += MAX_FRAME_PAYLOAD) {
      const end = Math.min(off + MAX_FRAME_PAYLOAD, payload.length);
      host.frame(FrameType.Data, end < payload.length ? FLAG_MORE : 0, id, payload.subarray(off, end));
    }
  }

  /**
   * Encodes `value`; when that fails and the value holds object-literal Senders or Receivers (which
   * cbor-x cannot see), encodes it once more with them boxed. The ends the first try already moved are
   * reused (moving twice would throw), and its ids are simply skipped: ids are never reused anyway.
   */
  #encode(value: unknown): Buffer {
    try {
      return encodeMessage(this, value);
    } catch (err) {
      const boxed = boxPlainRefs(value);
      if (boxed === value) throw err;
      const tried = (this.#opens as LocalOpen[] | null) ?? [];
      this.#opens = null;
      if (tried.length > 0) {
        const moved = new Map(this.#moved);
        for (const o of tried) moved.set(o.source, o.target);
        this.#moved = moved;
      }
      return encodeMessage(this, boxed);
    }
  }

  /** {@link Host.decode}: a malformed message resets the sub-streams it had already claimed. */
  decode(id: number, bytes: Uint8Array): unknown {
    this.#decChan = id;
    this.#claimed = null;
    try {
      return decodeMessage(this, bytes);
    } catch (err) {
      for (const e of (this.#claimed as Entry[] | null) ?? []) {
        this.#host.reset(e.id, ResetCode.Protocol, 'carrying message was malformed');
        e.fail(err as Error);
      }
      throw err;
    } finally {
      this.#claimed = null;
    }
  }

  /** {@link CodecContext.encodeRef}: allocates the id now; the OPEN is sent once encoding succeeded. */
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
    const id = this.#table.allocId();
    if (this.#opens === null) this.#opens = [];
    this.#opens.push({ id, kind, source: value, target });
    return [kind, id];
  }

  /** {@link CodecContext.decodeRef}: only a sub-stream opened by the peer for this very message. */
  decodeRef(kind: number, id: number): unknown {
    const unclaimed = this.#table.unclaimed;
    const e = unclaimed.get(id);
    if (e === undefined || e.kind !== kind || e.parent !== this.#decChan) {
      throw new ProtocolError(`reference [${kind}, ${id}] names no stream opened for this message`);
    }
    unclaimed.delete(id);
    if (this.#claimed === null) this.#claimed = [];
    this.#claimed.push(e);
    return e.user;
  }

  /** Registers and OPENs the sub-stream for one encoded reference and connects it to its local end. */
  #openLocal(o: LocalOpen, parent: number): void {
    const host = this.#host;
    const entries = this.#table.entries;
    if (o.kind === RefKind.InChannel) {
      const c = new ChanIn(host, o.id, parent, o.kind);
      entries.set(o.id, c);
      host.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
      c.grantOpening();
      void pump(o.target as Sender, c.user);
      return;
    }
    if (o.kind === RefKind.OutChannel) {
      const c = new ChanOut(host, o.id, parent, o.kind);
      entries.set(o.id, c);
      host.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
      c.onStop = () => (o.target as Receiver).close();
      void pump(c.user, o.target as Receiver);
      return;
    }
    const s = new SessionStream(
      host,
      o.id,
      parent,
      o.kind,
      o.kind !== RefKind.OutStream,
      o.kind !== RefKind.InStream,
    );
    entries.set(o.id, s);
    host.frame(FrameType.Open, 0, o.id, openPayload(o.kind, parent));
    s.grantOpening();
    bridge(o.target as Readable | Writable, s, o.kind);
  }
}

/** Closes a local end whose reference never went out (its message failed to encode). */
function closeEnd(target: object): void {
  const t = target as { close?: () => void; destroy?: () => void };
  if (typeof t.destroy === 'function') t.destroy();
  else t.close?.();
}
