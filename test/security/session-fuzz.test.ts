/**
 * Issue 10 item 2, property: whatever frames an unauthenticated peer sends, in whatever chunks, the
 * session never throws, never holds more than its budgets (bytes in, entries, bytes written back),
 * and is closed once it sent over `maxBytes` or once the deadline passed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { encodeFrame, RefKind } from '../../src/libchan/frames.js';
import { EOF, Session, type WireHandlers } from '../../src/libchan/index.js';
import { FakeWire } from '../libchan/fuzz-targets.js';

const LIMITS = { deadlineMs: 5000, maxChannels: 2, maxBytes: 64 * 1024, nestedStreams: false };
const OK_CODES = new Set<string>([ErrorCode.LimitReached, ErrorCode.Protocol, ErrorCode.ConnectionLost]);

/** Mostly plausible frames (known types, low ids, real OPEN payloads), sometimes big or junk. */
const frame = fc.oneof(
  fc
    .record({
      id: fc.integer({ min: 1, max: 12 }),
      kind: fc.integer({ min: 0, max: 6 }),
      parent: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ id, kind, parent }) => {
      const p = Buffer.alloc(5);
      p[0] = kind;
      p.writeUInt32BE(parent, 1);
      return encodeFrame(1, 0, id, p);
    }),
  fc
    .record({
      type: fc.integer({ min: 0, max: 7 }),
      flags: fc.integer({ min: 0, max: 1 }),
      id: fc.integer({ min: 0, max: 12 }),
      len: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 70_000 })),
    })
    .map(({ type, flags, id, len }) => encodeFrame(type, flags, id, Buffer.alloc(len, 0x60))),
  fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
);

describe('an unauthenticated session under random frames', () => {
  it('stays within its budgets and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 100_000 }), { maxLength: 8 }),
        fc.boolean(),
        async (frames, cuts, reader) => {
          const clock = new SimulatedClock();
          const wire = new FakeWire();
          const s = new Session(wire, { role: 'server', clock, closeTimeoutMs: 1, preAuth: LIMITS });
          const h = wire.h as WireHandlers;
          // Sometimes an application takes channels and reads them, as listen does.
          const reading = reader
            ? (async () => {
                for await (const rx of s.channels()) {
                  void (async () => {
                    for (;;) if ((await rx.receive()) === EOF) return;
                  })().catch(() => {});
                }
              })().catch(() => {})
            : undefined;
          const all = Buffer.concat(frames);
          const points = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
          let prev = 0;
          let fed = 0;
          let maxEntries = 0;
          for (const c of [...points, all.length]) {
            const chunk = all.subarray(prev, c);
            prev = c;
            if (chunk.length === 0) continue;
            h.data(chunk); // must never throw
            fed += chunk.length;
            const st = s.stats();
            maxEntries = Math.max(maxEntries, st.channels + st.streams);
            if (fed > LIMITS.maxBytes) expect(s.closed).toBe(true);
          }
          await new Promise((r) => setImmediate(r));
          // Entries: at most the channels allowed (no stream ever exists before authentication).
          expect(maxEntries).toBeLessThanOrEqual(LIMITS.maxChannels);
          expect(s.stats().streams).toBe(0);
          // What it wrote back is bounded by what it was allowed to read (PONGs, CREDITs, RESETs, GOAWAY).
          const out = wire.out.reduce((n, b) => n + b.length, 0);
          expect(out).toBeLessThanOrEqual(2 * LIMITS.maxBytes + 2048);
          // Time: the deadline closes whatever is left.
          clock.advance(LIMITS.deadlineMs);
          expect(s.closed).toBe(true);
          const reason = await s.done;
          if (reason !== undefined && !(isSwarmError(reason) && OK_CODES.has(reason.code))) {
            throw new Error(`untyped end: ${String(reason)}`);
          }
          h.close(undefined);
          await reading;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('no nested byte stream of any kind is opened before authentication', () => {
    for (const kind of [RefKind.Duplex, RefKind.InStream, RefKind.OutStream]) {
      const wire = new FakeWire();
      const s = new Session(wire, { role: 'server', preAuth: LIMITS, closeTimeoutMs: 1 });
      const open = (id: number, k: number, parent: number) => {
        const p = Buffer.alloc(5);
        p[0] = k;
        p.writeUInt32BE(parent, 1);
        return encodeFrame(1, 0, id, p);
      };
      (wire.h as WireHandlers).data(Buffer.concat([open(1, RefKind.OutChannel, 0), open(3, kind, 1)]));
      expect(s.closed, `kind ${kind}`).toBe(true);
      expect(s.stats().streams).toBe(0);
    }
  });
});
