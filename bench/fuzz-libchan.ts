/**
 * Long fuzz run for the libchan wire (not part of the test suite): the property-test targets from
 * test/libchan/fuzz-targets.ts with ≥ 100k cases each. Any failure prints fast-check's
 * counterexample (seed and path) and exits non-zero.
 *
 * Run: `npx tsx bench/fuzz-libchan.ts [--runs 100000] [--seed N]`
 * @module
 */
import fc from 'fast-check';
import { garbageTarget, type RawFrame, refFrames, refTag, splitParse } from '../test/libchan/fuzz-targets.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const numRuns = Number(flag('--runs') ?? 100_000);
const seed = flag('--seed') === undefined ? Date.now() : Number(flag('--seed'));

const frame = fc.record({
  type: fc.integer({ min: 0, max: 7 }),
  flags: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 200 }),
});
const small = fc.integer({ min: 0, max: 12 });
const value = fc.letrec((tie) => ({
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
const item = fc.record({
  value,
  opens: fc.array(fc.record({ kind: small, id: small, parent: fc.integer({ min: 0, max: 3 }) }), {
    maxLength: 3,
  }),
  more: fc.boolean(),
});
const header = fc
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
    return b;
  });

const targets: [string, () => Promise<void>][] = [
  [
    'parser: random chunk splits',
    async () =>
      fc.assert(
        fc.property(
          fc.array(frame, { maxLength: 12 }),
          fc.array(fc.nat(), { maxLength: 20 }),
          (frames, cuts) => {
            const got = splitParse(frames as RawFrame[], cuts);
            if (got.length !== frames.length) throw new Error('frame count differs');
            got.forEach((g, i) => {
              const f = frames[i] as RawFrame;
              if (g.type !== f.type || g.flags !== f.flags || g.id !== f.id)
                throw new Error('header differs');
              if (!Buffer.from(g.payload).equals(Buffer.from(f.payload))) throw new Error('payload differs');
            });
          },
        ),
        { numRuns, seed },
      ),
  ],
  [
    'session: random bytes',
    () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }),
          fc.boolean(),
          (c, on) => garbageTarget(c, on),
        ),
        { numRuns, seed },
      ),
  ],
  [
    'session: valid headers, random payloads, truncated',
    () =>
      fc.assert(
        fc.asyncProperty(fc.array(header, { maxLength: 6 }), fc.nat(), (frames, cut) => {
          const all = Buffer.concat(frames);
          return garbageTarget([all.subarray(0, cut % (all.length + 1))], true);
        }),
        { numRuns, seed },
      ),
  ],
  [
    'session: CBOR with random reference tags and OPENs',
    () =>
      fc.assert(
        fc.asyncProperty(fc.array(item, { maxLength: 4 }), (items) => garbageTarget(refFrames(items), true)),
        { numRuns, seed },
      ),
  ],
];

let failed = 0;
console.log(`fuzz-libchan: ${numRuns} cases per target, seed ${seed}`);
for (const [name, run] of targets) {
  const t0 = performance.now();
  try {
    await run();
    console.log(`- ${name}: ${numRuns} cases passed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (err) {
    failed++;
    console.log(`- ${name}: FAILED\n${String((err as Error).message ?? err)}`);
  }
}
process.exit(failed ? 1 : 0);
