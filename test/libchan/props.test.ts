/** Property tests: codec round trips with references, parser chunking, garbage resilience. */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from '../../src/libchan/frames.js';
import {
  bufferedPipe,
  EOF,
  isReceiver,
  isSender,
  type Receiver,
  type Sender,
  Session,
  wirePair,
} from '../../src/libchan/index.js';
import { anyFrame, framedBytes, refItem } from './fuzz-arbitraries.js';
import { garbageTarget, type RawFrame, refFrames, splitParse } from './fuzz-targets.js';

const RUNS = Number(process.env.LIBCHAN_PROP_RUNS ?? 200);

describe('frame parser', () => {
  const frame = anyFrame(300);

  it('any chunking of a frame sequence yields the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const got = splitParse(frames as RawFrame[], cuts);
          expect(got.map((f) => ({ ...f, payload: [...f.payload] }))).toEqual(
            frames.map((f) => ({ ...f, payload: [...f.payload] })),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('garbage and truncation', () => {
  it('random bytes end in ProtocolError or nothing, never a throw or a hang', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 6 }),
        fc.boolean(),
        (chunks, on) => garbageTarget(chunks, on),
      ),
      { numRuns: RUNS },
    );
  });

  it('well-formed headers with random payloads on a live channel', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(framedBytes, { maxLength: 6 }), fc.nat(), async (frames, cut) => {
        const all = Buffer.concat(frames);
        // Truncate somewhere: a half frame must wait, then fail cleanly when the peer hangs up.
        await garbageTarget([all.subarray(0, all.length === 0 ? 0 : cut % (all.length + 1))], true);
      }),
      { numRuns: RUNS },
    );
  });

  it('CBOR with random reference tags and OPENs: value or typed error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(refItem, { maxLength: 4 }), (items) => garbageTarget(refFrames(items), true)),
      { numRuns: RUNS },
    );
  });

  it('a malformed message resets only its channel', async () => {
    const [a, b] = wirePair();
    const client = new Session(a, { role: 'client' });
    const server = new Session(b, { role: 'server' });
    try {
      const good = client.newSendChannel<number>();
      good.send(1);
      const rxGood = await server.waitReceiveChannel<number>();
      // Forge a channel whose DATA is not CBOR: open it properly, then send a broken payload by hand.
      const bad = client.newSendChannel() as Sender<unknown>;
      client.frame(FrameType.Data, 0, 3, Buffer.from([0xff, 0xff, 0x00]));
      const rxBad = await server.waitReceiveChannel();
      const err = await rxBad.receive().catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('SWARM_ERR_PROTOCOL');
      expect(await rxGood.receive()).toBe(1);
      good.send(2);
      expect(await rxGood.receive()).toBe(2);
      // The reset reached the sender side: its sends are refused.
      await new Promise((r) => setTimeout(r, 20));
      expect(() => bad.send(1)).toThrow();
      expect(server.closed || client.closed).toBe(false);
    } finally {
      client.destroy();
      server.destroy();
    }
  });
});

describe('codec round trip with nested references', () => {
  const sessions: Session[] = [];
  afterEach(() => {
    for (const s of sessions.splice(0)) s.destroy();
  });

  // Plain data with placeholders ('$S' / '$R') where a Sender or Receiver will be put.
  const leaf = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u)),
    fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
    fc.constantFrom('$S', '$R'),
  );
  const tree = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('node'), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('node'), { maxKeys: 4 }),
    ),
  })).node;

  it('values arrive equal, with live ends in the same places', async () => {
    const [a, b] = wirePair();
    const client = new Session(a, { role: 'client' });
    const server = new Session(b, { role: 'server' });
    sessions.push(client, server);
    const tx = client.newSendChannel<unknown>();
    const rx = await server.waitReceiveChannel<unknown>();
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        const ends: { kind: 'S' | 'R'; local: Receiver<number> | Sender<number> }[] = [];
        const build = (v: unknown): unknown => {
          if (v === '$S') {
            const [r, s] = bufferedPipe<number>(2);
            ends.push({ kind: 'S', local: r });
            return s;
          }
          if (v === '$R') {
            const [r, s] = bufferedPipe<number>(2);
            ends.push({ kind: 'R', local: s });
            return r;
          }
          if (Array.isArray(v)) return v.map(build);
          if (v && typeof v === 'object' && !(v instanceof Date) && !Buffer.isBuffer(v)) {
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, build(x)]));
          }
          return v;
        };
        const p = tx.send(build(t));
        if (p) await p;
        const got = await rx.receive();
        const found: unknown[] = [];
        const strip = (v: unknown): unknown => {
          if (isSender(v)) {
            found.push(v);
            return '$S';
          }
          if (isReceiver(v)) {
            found.push(v);
            return '$R';
          }
          if (Array.isArray(v)) return v.map(strip);
          if (v instanceof Date || v instanceof Uint8Array) return v;
          if (v && typeof v === 'object')
            return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, strip(x)]));
          return v;
        };
        // Numbers travel as CBOR integers when integral, so -0 arrives as 0 (as in JSON; PROTOCOL.md 1.4).
        const zeroed = (v: unknown): unknown =>
          Object.is(v, -0)
            ? 0
            : Array.isArray(v)
              ? v.map(zeroed)
              : v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)
                ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, zeroed(x)]))
                : v;
        expect(strip(got)).toEqual(zeroed(t));
        expect(found.length).toBe(ends.length);
        // Every end is live: a value crosses each one in its direction.
        for (let i = 0; i < ends.length; i++) {
          const e = ends[i] as (typeof ends)[number];
          const remote = found[i] as Sender<number> & Receiver<number>;
          if (e.kind === 'S') {
            await remote.send(i);
            remote.close();
            expect(await (e.local as Receiver<number>).receive()).toBe(i);
            expect(await (e.local as Receiver<number>).receive()).toBe(EOF);
          } else {
            await (e.local as Sender<number>).send(i);
            (e.local as Sender<number>).close();
            expect(await remote.receive()).toBe(i);
            expect(await remote.receive()).toBe(EOF);
          }
        }
      }),
      { numRuns: Math.min(RUNS, 100) },
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(client.stats().channels).toBe(1); // only the top-level channel remains
    expect(server.stats().channels).toBe(1);
  });
});
