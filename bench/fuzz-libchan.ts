/**
 * Long fuzz run for the libchan wire (not part of the test suite): the property-test targets from
 * test/libchan/fuzz-targets.ts with ≥ 100k cases each. Any failure prints fast-check's
 * counterexample (seed and path) and exits non-zero.
 *
 * Run: `npx tsx bench/fuzz-libchan.ts [--runs 100000] [--seed N]`
 * @module
 */
import fc from 'fast-check';
import { anyFrame, framedBytes, refItem } from '../test/libchan/fuzz-arbitraries.js';
import { garbageTarget, type RawFrame, refFrames, splitParse } from '../test/libchan/fuzz-targets.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const numRuns = Number(flag('--runs') ?? 100_000);
const seed = flag('--seed') === undefined ? Date.now() : Number(flag('--seed'));

const frame = anyFrame(200);

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
        fc.asyncProperty(fc.array(framedBytes, { maxLength: 6 }), fc.nat(), (frames, cut) => {
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
        fc.asyncProperty(fc.array(refItem, { maxLength: 4 }), (items) =>
          garbageTarget(refFrames(items), true),
        ),
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
