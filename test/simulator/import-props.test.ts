/**
 * Property tests (fast-check) of `docker import` into the simulator (src/backends/simulator/
 * images-import.ts), driven through the simulator's own handler (`image.create?fromSrc=-` with the
 * upload as the message's stream, as dockerserver sends it):
 * 1. any body — random bytes, cut, mutated or gzip'd-then-cut archives, random bytes behind the gzip
 *    magic — is answered as the tar reader (and gunzip) read the same bytes: where they fail, a
 *    dockerd-style error (status 4xx/5xx with a message) and no image left behind; where they read,
 *    one new image; either way the upload is ended and nothing hangs;
 * 2. an upload that fails part way (the client goes away) is an error and leaves no image;
 * 3. generated archives (plain or gzip, any chunk split; unicode, long and `./` names, empty and
 *    binary files, dirs, symlinks) import, the layer's diff id is the sha256 of the uncompressed tar,
 *    and `export` of a container of the image gives the same files back.
 * `IMPORT_PROP_RUNS` scales the runs; fast-check prints the seed of a failure to replay it.
 */
import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readTar, type TarEntry, TarError, writeTar } from '../../src/backends/simulator/tar.js';
import { harness, type Reply } from './helpers.js';

const RUNS = Number(process.env.IMPORT_PROP_RUNS ?? 150);
const HANG_MS = 3_000;
/** A hang found: stop shrinking (each try waits HANG_MS) and report what was found by then. */
const LIMITS = { interruptAfterTimeLimit: 12_000 };

/** An upload stream that delivers `parts`, then ends (or fails with `fail`). */
function upload(parts: Buffer[], fail?: Error): PassThrough {
  const s = new PassThrough();
  void (async () => {
    for (const p of parts) {
      if (s.destroyed) return;
      s.write(p);
      await new Promise<void>((r) => setImmediate(r));
    }
    if (fail) s.destroy(fail);
    else s.end();
  })();
  return s;
}

function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = c;
  }
  if (bytes.length > prev) out.push(bytes.subarray(prev));
  return out;
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Fails the property instead of waiting for ever. */
function inTime<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** What dockerd's import would do with `body`, by the reference readers: a 5xx, or an image. */
function oracle(body: Buffer): 'image' | 'error' {
  if (body.subarray(0, 3).toString('latin1') === 'BZh') return 'error';
  if (body[0] === 0xfd && body.subarray(1, 6).toString('latin1') === '7zXZ\0') return 'error';
  let tar = body;
  if (body[0] === 0x1f && body[1] === 0x8b) {
    try {
      tar = gunzipSync(body);
    } catch {
      return 'error';
    }
  }
  try {
    readTar(tar);
    return 'image';
  } catch (err) {
    if (err instanceof TarError) return 'error';
    throw err;
  }
}

function expectDockerdError(r: Reply): void {
  expect(r.verb).toBe('error');
  expect(r.args.status).toBeGreaterThanOrEqual(400);
  expect(r.args.status).toBeLessThan(600);
  expect(typeof r.args.message).toBe('string');
  expect(r.args.message).not.toBe('');
}

const h = harness();
const imageCount = () => h.engine.images.all.length;

async function importBody(
  parts: Buffer[],
  opts: { fail?: Error; query?: Record<string, string> } = {},
): Promise<{ reply: Reply; stream: PassThrough }> {
  const stream = upload(parts, opts.fail);
  const reply = await inTime(
    h.call('image.create', { query: { fromSrc: '-', ...opts.query }, stream }),
    'image.create',
  );
  return { reply, stream };
}

/** Cut points, small ones often (a gzip or bzip2 magic split over chunks). */
const cutsArb = fc.array(fc.oneof(fc.nat(8), fc.nat()), { maxLength: 8 });

// --- generated archives -------------------------------------------------------------------------

const segment = fc.oneof(
  fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9._ -]{0,20}$/),
  fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
    .filter((s) => !/[/\0]/.test(s) && s !== '.' && s !== '..' && !s.startsWith('.wh.')),
  fc.stringMatching(/^[a-z]{60,90}$/),
);
/** A clean relative path, not one of the files every container has (/etc, /dev, /proc, /sys). */
const relPath = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((segs) => segs.join('/'))
  .filter((p) => !/^(etc|dev|proc|sys|\.dockerenv)(\/|$)/.test(p));

interface Spec {
  path: string;
  kind: 'file' | 'dir' | 'link';
  data: Buffer;
  target: string;
  mode: number;
  dotSlash: boolean;
}
const spec: fc.Arbitrary<Spec> = fc.record({
  path: relPath,
  kind: fc.constantFrom('file' as const, 'file' as const, 'dir' as const, 'link' as const),
  data: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ maxLength: 1200 }).map((a) => Buffer.from(a)),
  ),
  target: fc.oneof(
    relPath,
    relPath.map((p) => `/${p}`),
    fc.constant('../x'),
  ),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  dotSlash: fc.boolean(),
});
const specs = fc.uniqueArray(spec, { selector: (s) => s.path, maxLength: 8 });

function toEntry(s: Spec): TarEntry {
  const name = `${s.dotSlash ? './' : ''}${s.path}${s.kind === 'dir' ? '/' : ''}`;
  if (s.kind === 'dir') return { name, type: 'dir', data: Buffer.alloc(0), mode: 0o755 };
  if (s.kind === 'link') return { name, type: 'link', data: Buffer.alloc(0), target: s.target };
  return { name, type: 'file', data: s.data, mode: s.mode };
}

describe('docker import: valid archives', () => {
  it('import (plain or gzip, any chunk split), then export gives the same files back', async () => {
    await fc.assert(
      fc.asyncProperty(specs, fc.boolean(), cutsArb, async (list, gzip, cuts) => {
        const tar = writeTar(list.map(toEntry));
        const body = gzip ? gzipSync(tar) : tar;
        const before = imageCount();
        const { reply, stream } = await importBody(chunks(body, cuts));
        expect(reply.verb, reply.args.message).toBe('ack');
        const answer = (await readAll(reply.stream!)).toString();
        const id = (JSON.parse(answer) as { status: string }).status;
        expect(answer).toMatch(/^\{"status":"sha256:[0-9a-f]{64}"\}\r\n$/);
        expect(stream.destroyed).toBe(true);
        expect(imageCount()).toBe(before + 1);
        const image = h.engine.images.resolve(id)!;
        expect(image.diffIds).toEqual([`sha256:${createHash('sha256').update(tar).digest('hex')}`]);

        const created = await h.call('container.create', { body: { Image: id, Cmd: ['sh'] } });
        expect(created.verb, created.args.message).toBe('set');
        const cid = (created.args.body as { Id: string }).Id;
        const exported = await h.call('container.export', { id: cid });
        const back = new Map(readTar(await readAll(exported.stream!)).map((e) => [e.name, e]));
        for (const s of list) {
          const got = back.get(s.kind === 'dir' ? `${s.path}/` : s.path);
          expect(got?.type, s.path).toBe(s.kind);
          if (s.kind === 'file') {
            expect(got?.data, s.path).toEqual(s.data);
            expect(got?.mode, s.path).toBe(s.mode);
          }
          if (s.kind === 'link') expect(got?.target, s.path).toBe(s.target);
        }
        expect((await h.call('container.remove', { id: cid })).verb).not.toBe('error');
        expect((await h.call('image.remove', { id })).verb).not.toBe('error');
        expect(imageCount()).toBe(before);
      }),
      { numRuns: RUNS, ...LIMITS },
    );
  });
});

// --- bodies of any kind ---------------------------------------------------------------------------

/** A valid archive to cut or corrupt. */
const archive = specs.map((l) => writeTar(l.map(toEntry)));
const mutate = (bytes: Buffer, sets: [number, number][]) => {
  const b = Buffer.from(bytes);
  for (const [at, v] of sets) if (b.length > 0) b[at % b.length] = v;
  return b;
};
const sets = fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 });
const anyBody = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a)),
  fc.tuple(archive, fc.nat()).map(([t, cut]) => t.subarray(0, cut % (t.length + 1))),
  fc.tuple(archive, sets).map(([t, s]) => mutate(t, s)),
  fc.tuple(archive, fc.nat()).map(([t, cut]) => {
    const z = gzipSync(t);
    return z.subarray(0, cut % (z.length + 1));
  }),
  fc.tuple(archive, sets).map(([t, s]) => gzipSync(mutate(t, s))),
  fc.tuple(archive, sets).map(([t, s]) => mutate(gzipSync(t), s)),
  fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from(a)])),
  fc.constantFrom(Buffer.from('BZh91AY&SY'), Buffer.from([0xfd, ...Buffer.from('7zXZ\0'), 0, 1])),
);

describe('docker import: bodies of any kind', () => {
  it('answered as the tar reader reads them: a 4xx/5xx with a message and no image, or one image', async () => {
    await fc.assert(
      fc.asyncProperty(anyBody, cutsArb, async (body, cuts) => {
        const before = imageCount();
        const { reply, stream } = await importBody(chunks(body, cuts));
        expect(stream.destroyed).toBe(true);
        if (oracle(body) === 'error') {
          expectDockerdError(reply);
          expect(imageCount()).toBe(before);
        } else {
          expect(reply.verb, reply.args.message).toBe('ack');
          const id = (JSON.parse((await readAll(reply.stream!)).toString()) as { status: string }).status;
          expect(imageCount()).toBe(before + 1);
          expect((await h.call('image.remove', { id })).verb).not.toBe('error');
          expect(imageCount()).toBe(before);
        }
      }),
      { numRuns: RUNS * 2, ...LIMITS },
    );
  });

  it('an upload that fails part way is an error and leaves no image', async () => {
    await fc.assert(
      fc.asyncProperty(archive, fc.boolean(), cutsArb, fc.nat(), async (tar, gzip, cuts, keep) => {
        const parts = chunks(gzip ? gzipSync(tar) : tar, cuts);
        const before = imageCount();
        const { reply } = await importBody(parts.slice(0, keep % (parts.length + 1)), {
          fail: new Error('client went away'),
        });
        expectDockerdError(reply);
        expect(imageCount()).toBe(before);
      }),
      { numRuns: RUNS, ...LIMITS },
    );
  });

  it('a bad name or changes line is refused before the body is read, and the upload ended', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ repo: fc.constantFrom('Bad', 'a@sha256:00', 'x:y:z', '-a', 'a:bad tag') }),
          fc.record({ repo: fc.constant('ok'), tag: fc.constantFrom('bad tag', ':', '-x') }),
          fc.record({ changes: fc.constantFrom('NOPE x', 'RUN echo', 'FROM a') }),
        ),
        archive,
        async (query, tar) => {
          const before = imageCount();
          const { reply, stream } = await importBody([tar], { query });
          expectDockerdError(reply);
          expect(reply.args.status).toBe(400);
          expect(stream.destroyed).toBe(true);
          expect(imageCount()).toBe(before);
        },
      ),
      { numRuns: Math.ceil(RUNS / 3), ...LIMITS },
    );
  });
});
