/**
 * fast-check generators for the libchan wire, shared by the property tests (test/libchan/props.test.ts,
 * a few hundred cases per run) and the long fuzz run (bench/fuzz-libchan.ts, 100k+ cases).
 * @module
 */
import fc from 'fast-check';
import { refTag } from './fuzz-targets.js';

/** Any frame header and a payload of up to `maxPayload` bytes. */
export function anyFrame(maxPayload: number) {
  return fc.record({
    type: fc.integer({ min: 0, max: 7 }),
    flags: fc.integer({ min: 0, max: 255 }),
    id: fc.integer({ min: 0, max: 0xffffffff }),
    payload: fc.uint8Array({ maxLength: maxPayload }),
  });
}

/** The bytes of one well-formed frame header (known types, low ids) followed by a random payload. */
export const framedBytes = fc
  .record({
    type: fc.integer({ min: 0, max: 7 }),
    flags: fc.integer({ min: 0, max: 1 }),
    id: fc.integer({ min: 0, max: 4 }),
    payload: fc.uint8Array({ maxLength: 40 }),
  })
  .map((f) => {
    const b = Buffer.alloc(10 + f.payload.length);
    b.writeUInt32BE(f.payload.length, 0);
    b[4] = f.type;
    b[5] = f.flags;
    b.writeUInt32BE(f.id, 6);
    b.set(f.payload, 10);
    return b as Uint8Array;
  });

const small = fc.integer({ min: 0, max: 12 });

/** A CBOR-able value with random (often invalid) libchan reference tags nested in it. */
const valueWithRefs = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc
      .tuple(fc.oneof(small, fc.string({ maxLength: 2 })), fc.oneof(small, fc.constant(-1)))
      .map(([k, i]) => refTag(k, i)),
    fc.array(tie('v'), { maxLength: 3 }),
  ),
})).v;

/** One message for `refFrames`: a value with reference tags, the OPENs sent before it, and `more`. */
export const refItem = fc.record({
  value: valueWithRefs,
  opens: fc.array(fc.record({ kind: small, id: small, parent: fc.integer({ min: 0, max: 3 }) }), {
    maxLength: 3,
  }),
  more: fc.boolean(),
});
