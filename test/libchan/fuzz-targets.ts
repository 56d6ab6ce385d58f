/**
 * Fuzz targets shared by the property tests (few runs) and bench/fuzz-libchan.ts (≥ 100k runs).
 * Each target drives a real Session over a fake wire synchronously and checks the invariants:
 * no throw escapes, every pending operation settles, and failures are typed SwarmErrors.
 */
import { Encoder, Tag } from 'cbor-x';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { REF_TAG } from '../../src/libchan/codec.js';
import { encodeFrame, FrameParser, FrameType, RefKind } from '../../src/libchan/frames.js';
import { EOF, Session, type Wire, type WireHandlers } from '../../src/libchan/index.js';

/** A wire whose input the test controls and whose output it records. */
export class FakeWire implements Wire {
  readonly info = { transport: 'fake' };
  h: WireHandlers | undefined;
  out: Buffer[] = [];
  ended = false;
  start(h: WireHandlers): void {
    this.h = h;
  }
  write(data: Uint8Array): void {
    this.out.push(Buffer.from(data));
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.ended = true;
  }
  /** Frames the session wrote, parsed. */
  frames(): { type: number; id: number; payload: Buffer }[] {
    const got: { type: number; id: number; payload: Buffer }[] = [];
    const p = new FrameParser((type, _f, id, payload) =>
      got.push({ type, id, payload: Buffer.from(payload) }),
    );
    p.push(Buffer.concat(this.out));
    return got;
  }
}

const OK_CODES = new Set<string>([
  ErrorCode.Protocol,
  ErrorCode.ConnectionLost,
  ErrorCode.Closed,
  ErrorCode.Reset,
]);

function checkError(err: unknown, where: string): void {
  if (!isSwarmError(err) || !OK_CODES.has(err.code)) {
    throw new Error(`${where}: untyped or unexpected failure: ${String(err)}`, { cause: err });
  }
}

function openTopLevel(id: number): Buffer {
  const p = Buffer.alloc(5);
  p[0] = RefKind.OutChannel;
  return encodeFrame(FrameType.Open, 0, id, p);
}

/**
 * Feeds `chunks` to a server session. With `onChannel`, the bytes follow a valid OPEN of top-level
 * channel 1 (so they exercise DATA/decoding on a live channel). Then the connection drops, and
 * everything must settle.
 */
export async function garbageTarget(chunks: Uint8Array[], onChannel: boolean): Promise<void> {
  const wire = new FakeWire();
  const s = new Session(wire, { role: 'server', closeTimeoutMs: 1 });
  const h = wire.h as WireHandlers;
  let rx: Promise<unknown> | undefined;
  if (onChannel) {
    h.data(openTopLevel(1));
    rx = s.waitReceiveChannel().then(async (r) => {
      for (;;) {
        const v = await r.receive();
        if (v === EOF) return;
      }
    });
  }
  for (const c of chunks) {
    try {
      h.data(Buffer.from(c));
    } catch (err) {
      throw new Error(`a chunk made the session throw: ${String(err)}`, { cause: err });
    }
  }
  const reason = s.closed ? await s.done : undefined;
  if (reason !== undefined) checkError(reason, 'session end');
  h.close(undefined); // the peer hangs up
  const final = await s.done;
  if (final !== undefined) checkError(final, 'session end');
  if (rx) await rx.catch((err: unknown) => checkError(err, 'receive'));
  s.destroy();
}

/** A structurally valid frame for the splitter property. */
export interface RawFrame {
  type: number;
  flags: number;
  id: number;
  payload: Uint8Array;
}

/** Parses the concatenation of `frames` split at `cuts`; returns what the parser saw. */
export function splitParse(frames: RawFrame[], cuts: number[]): RawFrame[] {
  const all = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.flags, f.id, f.payload)));
  const got: RawFrame[] = [];
  const p = new FrameParser((type, flags, id, payload) =>
    got.push({ type, flags, id, payload: Buffer.from(payload) }),
  );
  const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const c of [...points, all.length]) {
    p.push(all.subarray(prev, c));
    prev = c;
  }
  return got;
}

/** Builds DATA/OPEN frames on channel 1 whose CBOR payloads carry random reference tags. */
export function refFrames(
  items: { value: unknown; opens: { kind: number; id: number; parent: number }[]; more: boolean }[],
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const it of items) {
    for (const o of it.opens) {
      const p = Buffer.alloc(5);
      p[0] = o.kind;
      p.writeUInt32BE(o.parent, 1);
      out.push(encodeFrame(FrameType.Open, 0, o.id, p));
    }
    out.push(encodeFrame(FrameType.Data, it.more ? 1 : 0, 1, rawEncoder.encode(it.value)));
  }
  return out;
}

const rawEncoder = new Encoder({ useRecords: false });

/** A random `[kind, id]` reference tag (possibly malformed). */
export function refTag(kind: unknown, id: unknown): Tag {
  return new Tag([kind, id], REF_TAG);
}
