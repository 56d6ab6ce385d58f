/**
 * The mux frame layout (PROTOCOL.md Part 1, "Frames"): a 10-byte header, then the payload.
 *
 *     0..3  u32 BE  payload length N (≤ MAX_FRAME_PAYLOAD)
 *     4     u8      type
 *     5     u8      flags
 *     6..9  u32 BE  stream id (0 = the connection)
 *     10..  N bytes payload
 *
 * The parser accepts any chunking of the byte stream and never throws anything but
 * {@link ProtocolError}.
 * @module
 */
import { ProtocolError } from '../errors.js';

/** Bytes in a frame header. */
export const HEADER_SIZE = 10;
/** Largest payload a frame may carry; bigger messages span frames with {@link FLAG_MORE}. */
export const MAX_FRAME_PAYLOAD = 1 << 20;

/** Frame types. */
export const FrameType = {
  Data: 0,
  Open: 1,
  End: 2,
  Reset: 3,
  Credit: 4,
  GoAway: 5,
  Ping: 6,
  Pong: 7,
} as const;
/** One of {@link FrameType}. */
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];

/** DATA flag: the message continues in the next DATA frame of the same channel. */
export const FLAG_MORE = 0x01;

/** Reference kinds, shared by OPEN frames and the CBOR reference tag (the encoder's point of view). */
export const RefKind = {
  /** Duplex byte stream. */
  Duplex: 1,
  /** Byte stream flowing towards the encoder: the decoder gets a stream to write. */
  InStream: 2,
  /** Byte stream flowing away from the encoder: the decoder gets a stream to read. */
  OutStream: 3,
  /** Channel flowing towards the encoder: the decoder gets a Sender. */
  InChannel: 4,
  /** Channel flowing away from the encoder: the decoder gets a Receiver. */
  OutChannel: 5,
} as const;
/** One of {@link RefKind}. */
export type RefKindValue = (typeof RefKind)[keyof typeof RefKind];

/** RESET and GOAWAY codes. */
export const ResetCode = {
  NoError: 0,
  Cancel: 1,
  Protocol: 2,
  Internal: 3,
  FlowControl: 4,
  Refused: 5,
  TooLarge: 6,
  ConnectionLost: 7,
  Aborted: 8,
} as const;

/** Receives parsed frames. `payload` is a view into the input; copy it to keep it past the call. */
export type FrameHandler = (type: number, flags: number, id: number, payload: Buffer) => void;

/** Writes a frame header into `buf` at `at`. */
export function writeHeader(
  buf: Buffer,
  at: number,
  len: number,
  type: number,
  flags: number,
  id: number,
): void {
  // Byte stores instead of writeUInt32BE: this runs once per frame and the checked writer shows in profiles.
  buf[at] = len >>> 24;
  buf[at + 1] = len >>> 16;
  buf[at + 2] = len >>> 8;
  buf[at + 3] = len;
  buf[at + 4] = type;
  buf[at + 5] = flags;
  buf[at + 6] = id >>> 24;
  buf[at + 7] = id >>> 16;
  buf[at + 8] = id >>> 8;
  buf[at + 9] = id;
}

/** Builds one standalone frame (header + payload). For tests, fuzzers and rare control frames. */
export function encodeFrame(type: number, flags: number, id: number, payload?: Uint8Array): Buffer {
  const len = payload?.length ?? 0;
  const b = Buffer.allocUnsafe(HEADER_SIZE + len);
  writeHeader(b, 0, len, type, flags, id);
  if (payload) b.set(payload, HEADER_SIZE);
  return b;
}

/**
 * Incremental frame parser. Frames wholly inside one chunk are handed out as zero-copy views; a
 * frame split across chunks is gathered once, when complete (no quadratic re-concatenation).
 */
export class FrameParser {
  readonly #onFrame: FrameHandler;
  readonly #maxPayload: number;
  #parts: Buffer[] = [];
  #partsLen = 0;
  #need = HEADER_SIZE;

  constructor(onFrame: FrameHandler, maxPayload = MAX_FRAME_PAYLOAD) {
    this.#onFrame = onFrame;
    this.#maxPayload = maxPayload;
  }

  /** Bytes held from an incomplete frame. */
  get buffered(): number {
    return this.#partsLen;
  }

  /** Feeds bytes. Throws {@link ProtocolError} on a malformed header; the caller resets the connection. */
  push(chunk: Buffer): void {
    if (this.#partsLen > 0) {
      this.#parts.push(chunk);
      this.#partsLen += chunk.length;
      if (this.#partsLen < this.#need) return;
      // Enough bytes for the header (to learn the size) or for the whole frame: gather once.
      chunk = Buffer.concat(this.#parts, this.#partsLen);
      this.#parts = [];
      this.#partsLen = 0;
    }
    let pos = 0;
    const end = chunk.length;
    while (end - pos >= HEADER_SIZE) {
      const len = chunk.readUInt32BE(pos);
      const type = chunk[pos + 4] as number;
      if (len > this.#maxPayload) throw new ProtocolError(`frame payload of ${len} bytes exceeds the limit`);
      if (type > FrameType.Pong) throw new ProtocolError(`unknown frame type ${type}`);
      const total = HEADER_SIZE + len;
      if (end - pos < total) break;
      const flags = chunk[pos + 5] as number;
      const id = chunk.readUInt32BE(pos + 6);
      this.#onFrame(type, flags, id, chunk.subarray(pos + HEADER_SIZE, pos + total));
      pos += total;
    }
    if (pos < end) {
      const rest = chunk.subarray(pos);
      this.#parts = [rest];
      this.#partsLen = rest.length;
      this.#need = rest.length >= HEADER_SIZE ? HEADER_SIZE + this.#validatedLen(rest) : HEADER_SIZE;
    } else {
      this.#need = HEADER_SIZE;
    }
  }

  #validatedLen(head: Buffer): number {
    const len = head.readUInt32BE(0);
    if (len > this.#maxPayload) throw new ProtocolError(`frame payload of ${len} bytes exceeds the limit`);
    if ((head[4] as number) > FrameType.Pong) throw new ProtocolError(`unknown frame type ${head[4]}`);
    return len;
  }
}
