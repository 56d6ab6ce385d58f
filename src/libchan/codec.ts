/**
 * CBOR codec for channel messages: one CBOR item per message, cbor-x with `useRecords: false` (every
 * message stands alone and can be forwarded raw), standard tag 1 for dates, and ONE tag,
 * {@link REF_TAG}, for channel and byte-stream references with payload `[kind, id]`.
 *
 * cbor-x extensions are module-global, so the session that is encoding or decoding is installed in a
 * synchronous "current context" for the duration of the call; the extension hooks ask it to open or
 * resolve references.
 * @module
 */
import { Stream } from 'node:stream';
import { addExtension, Decoder, Encoder, Tag } from 'cbor-x';
import { ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { isReceiver, isSender } from './types.js';

/**
 * The CBOR tag of a channel or byte-stream reference. Chosen in IANA's First Come First Served range
 * (≥ 32768), above cbor-x's own numbers (< 40500) and outside Blockchain Commons' 40000–40918.
 */
export const REF_TAG = 41817;

/** What a session provides while a message is being encoded or decoded. */
export interface CodecContext {
  /** Open a sub-stream for a Sender, Receiver or Node stream; returns `[kind, id]`. */
  encodeRef(value: object): [number, number];
  /** Resolve a `[kind, id]` reference found in a message into a live object. */
  decodeRef(kind: number, id: number): unknown;
}

let current: CodecContext | undefined;

/** True for Node byte streams (Readable, Writable, Duplex, sockets, file streams). */
export function isByteStream(v: unknown): v is Stream {
  return (
    v instanceof Stream &&
    (typeof (v as { read?: unknown }).read === 'function' ||
      typeof (v as { write?: unknown }).write === 'function')
  );
}

/** `instanceof` target that matches every value the codec must turn into a reference. */
// biome-ignore lint/complexity/noStaticOnlyClass: cbor-x matches extensions with `instanceof`, so this must be a class.
class Ref {
  static [Symbol.hasInstance](v: unknown): boolean {
    return v instanceof PlainRef || isSender(v) || isReceiver(v) || isByteStream(v);
  }
}

/**
 * A Sender or Receiver written as an object literal (`{ [kSender]: true, send, close, … }`), boxed so
 * the codec sees it: cbor-x writes literals field by field without asking its extensions, so the brand
 * alone is not enough. Only {@link boxPlainRefs} makes these, on the rare retry.
 */
class PlainRef {
  constructor(readonly inner: object) {}
}

/**
 * `value` with every object-literal Sender or Receiver inside plain objects and arrays replaced by a
 * {@link PlainRef}, copying only the containers on the way to one; `value` itself when there is none.
 */
export function boxPlainRefs(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const b = boxPlainRefs(value[i], depth + 1);
      if (b === value[i]) continue;
      out ??= value.slice();
      out[i] = b;
    }
    return out ?? value;
  }
  if ((value as object).constructor !== Object) return value; // class instances reach the extensions
  if (isSender(value) || isReceiver(value)) return new PlainRef(value);
  let out: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(value)) {
    const b = boxPlainRefs(v, depth + 1);
    if (b === v) continue;
    out ??= { ...value };
    out[k] = b;
  }
  return out ?? value;
}

// cbor-x types its encode hook as returning bytes; at runtime it writes through `encodeItem` instead.
addExtension({
  Class: Ref,
  tag: REF_TAG,
  encode(value: object, encodeItem: (v: unknown) => void) {
    if (!current) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        'channels and streams can only be encoded by a session',
      );
    }
    encodeItem(current.encodeRef(value instanceof PlainRef ? value.inner : value));
  },
  decode(data: unknown) {
    if (!current) return new Tag(data, REF_TAG);
    if (
      !Array.isArray(data) ||
      data.length !== 2 ||
      !Number.isInteger(data[0]) ||
      !Number.isInteger(data[1])
    ) {
      throw new ProtocolError('malformed channel reference');
    }
    return current.decodeRef(data[0] as number, data[1] as number);
  },
} as unknown as Parameters<typeof addExtension>[0]);

const encoder = new Encoder({ useRecords: false, mapsAsObjects: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/**
 * Encodes one message with `ctx` as the current context. The result may be a view into cbor-x's
 * shared output buffer; it stays valid (cbor-x never overwrites earlier results) but is not owned.
 */
export function encodeMessage(ctx: CodecContext, value: unknown): Buffer {
  const prev = current;
  current = ctx;
  try {
    return encoder.encode(value) as Buffer;
  } finally {
    current = prev;
  }
}

/** Decodes exactly one message; anything malformed (including trailing bytes) is a {@link ProtocolError}. */
export function decodeMessage(ctx: CodecContext, bytes: Uint8Array): unknown {
  const prev = current;
  current = ctx;
  try {
    return decoder.decode(bytes);
  } catch (err) {
    if (err instanceof SwarmError) throw err;
    throw new ProtocolError(`undecodable message: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  } finally {
    current = prev;
  }
}
