/**
 * Property tests (fast-check) of the simulator's ustar reader/writer (src/backends/simulator/tar.ts),
 * the parser every `docker load` and `docker import` upload goes through:
 * 1. round trip: any entry list (long, unicode and 99–101-byte names and link targets, empty files,
 *    binary data, dirs, symlinks) written by `writeTar` — or with GNU `L` long names instead of PAX
 *    `path` — and fed to `TarReader` in any chunk split gives back the same entries; bodies `keep`
 *    refuses come back empty;
 * 2. PAX records: any well-formed records around `path` (values with `=`, newlines, unicode) name the
 *    entry by `path`; records with bad lengths end in a TarError or a clean result;
 * 3. robustness: random bytes, cut archives, archives with mutated bytes or mutated header fields
 *    (size, checksum, type flag, with the checksum fixed up or not) end in a TarError or a clean
 *    result, never another exception;
 * 4. no allocation from a size field: a header whose size the reader would have to keep beyond its
 *    bounds (a file over `limit`, a PAX/GNU-L body over 1 MiB) is refused at the header, before its
 *    body arrives, and bodies nobody keeps are skipped whatever their size;
 * 5. time: a PAX body is read in linear time whatever its length fields (timed, with a wide margin).
 * `TAR_PROP_RUNS` scales the runs; fast-check prints the seed of a failure to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type TarEntry, TarError, TarReader, writeTar } from '../../src/backends/simulator/tar.js';

const RUNS = Number(process.env.TAR_PROP_RUNS ?? 150);
const BLOCK = 512;

/** Names tar can carry: no NUL (C strings), well-formed UTF-16 (they travel as UTF-8). */
const noNul = (s: string) => !s.includes('\0');
const pathText = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
    // 98–102 bytes: either side of the 100-byte name and link fields
    fc
      .integer({ min: 98, max: 102 })
      .chain((n) => fc.string({ unit: 'grapheme-ascii', minLength: n, maxLength: n })),
    fc.string({ unit: 'grapheme', minLength: 40, maxLength: 80 }),
    fc.stringMatching(/^[a-z0-9._-]{1,30}(\/[a-z0-9._-]{1,40}){1,8}$/),
    fc.integer({ min: 98, max: 102 }).map((n) => 'é'.repeat(Math.floor(n / 2)) + 'x'.repeat(n % 2)),
  )
  .filter(noNul);
const mode = fc.integer({ min: 0, max: 0o7777 });
const mtime = fc.integer({ min: 0, max: 2 ** 33 - 1 });

const entry: fc.Arbitrary<TarEntry> = fc.oneof(
  fc.record({
    name: pathText,
    type: fc.constant('file' as const),
    data: fc.oneof(
      fc.constant(Buffer.alloc(0)),
      fc.uint8Array({ maxLength: 1600 }).map((a) => Buffer.from(a)),
      fc.constantFrom(511, 512, 513, 1024).map((n) => Buffer.alloc(n, 7)),
    ),
    mode,
    mtime,
  }),
  fc.record({
    name: pathText.map((n) => (n.endsWith('/') ? n : `${n}/`)),
    type: fc.constant('dir' as const),
    data: fc.constant(Buffer.alloc(0)),
    mode,
    mtime,
  }),
  fc.record({
    name: pathText,
    type: fc.constant('link' as const),
    data: fc.constant(Buffer.alloc(0)),
    target: fc.oneof(fc.constant(''), pathText),
    mode,
    mtime,
  }),
);

/** Bytes cut at the given points (any number of chunks, empty ones included). */
function chunks(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

function readChunked(parts: Buffer[], keep?: (name: string) => boolean, limit?: number): TarEntry[] {
  const out: TarEntry[] = [];
  const r = new TarReader((e) => out.push(e), keep, limit);
  for (const p of parts) r.push(p);
  r.end();
  return out;
}

/** What the reader gives back for an entry: data only for files, a target only for links. */
function expected(e: TarEntry, kept = true): TarEntry {
  const out: TarEntry = {
    name: e.name,
    type: e.type,
    data: e.type === 'file' && kept ? e.data : Buffer.alloc(0),
    mode: e.mode ?? 0,
    mtime: e.mtime ?? 0,
  };
  if (e.type === 'link') out.target = e.target ?? '';
  return out;
}

/** A ustar header as GNU tar writes one (independent of the writer under test). */
function rawHeader(
  name: string,
  size: number | string,
  flag: string,
  opts: { target?: string; mode?: number; mtime?: number } = {},
): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(`${(opts.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(typeof size === 'string' ? size : `${size.toString(8).padStart(11, '0')}\0`, 124, 12, 'latin1');
  h.write(`${(opts.mtime ?? 0).toString(8).padStart(11, '0')}\0`, 136, 'ascii');
  h.write(flag, 156, 1, 'latin1');
  h.write(opts.target ?? '', 157, 100, 'utf8');
  h.write('ustar  \0', 257, 'ascii');
  return fixChecksum(h);
}

function fixChecksum(h: Buffer): Buffer {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function body(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

/** The entries as GNU tar writes them: long names as `L` records, long link targets as PAX `linkpath`. */
function gnuTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const target = e.target ?? '';
    if (Buffer.byteLength(target) > 100) {
      const rec = ` linkpath=${target}\n`;
      let len = Buffer.byteLength(rec) + 1;
      while (String(len).length + Buffer.byteLength(rec) !== len) len++;
      const pax = Buffer.from(`${len}${rec}`);
      parts.push(rawHeader('./PaxHeaders/x', pax.length, 'x'), body(pax));
    }
    if (Buffer.byteLength(e.name) > 100) {
      const long = Buffer.from(`${e.name}\0`);
      parts.push(rawHeader('././@LongLink', long.length, 'L'), body(long));
    }
    const flag = e.type === 'dir' ? '5' : e.type === 'link' ? '2' : '0';
    const data = e.type === 'file' ? e.data : Buffer.alloc(0);
    parts.push(rawHeader(e.name, data.length, flag, { target, mode: e.mode ?? 0, mtime: e.mtime ?? 0 }));
    parts.push(body(data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** Runs `f`; passes when it returns or throws a TarError, rethrows anything else. */
function tarErrorOrResult(f: () => unknown): 'ok' | 'TarError' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof TarError) return 'TarError';
    throw err;
  }
}

const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('tar round trip', () => {
  it('writeTar → TarReader in any chunk split gives back the same entries', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), cuts, (entries, cutAt) => {
        const got = readChunked(chunks(writeTar(entries), cutAt));
        expect(got).toEqual(entries.map((e) => expected(e)));
      }),
      { numRuns: RUNS },
    );
  });

  it('GNU L long names (and PAX linkpath) read back the same in any chunk split', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), cuts, (entries, cutAt) => {
        const got = readChunked(chunks(gnuTar(entries), cutAt));
        expect(got).toEqual(entries.map((e) => expected(e)));
      }),
      { numRuns: RUNS },
    );
  });

  it('a GNU L name wins over a PAX path on the same entry, in either order (as Go reads it)', () => {
    const pax = (path: string) => {
      const rec = ` path=${path}\n`;
      const text = `${rec.length + 2}${rec}`; // a two-digit length counts itself
      return [rawHeader('./PaxHeaders/x', text.length, 'x'), body(Buffer.from(text))];
    };
    const gnu = (name: string) => {
      const long = Buffer.from(`${name}\0`);
      return [rawHeader('././@LongLink', long.length, 'L'), body(long)];
    };
    const file = rawHeader('short', 0, '0');
    const end = Buffer.alloc(BLOCK * 2);
    for (const parts of [
      [...pax('from-pax'), ...gnu('from-gnu'), file, end],
      [...gnu('from-gnu'), ...pax('from-pax'), file, end],
    ]) {
      const got = readChunked([Buffer.concat(parts)]);
      expect(got.map((e) => e.name)).toEqual(['from-gnu']);
    }
  });

  it('bodies `keep` refuses are skipped (empty), the others kept, the archive read on', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(entry, fc.boolean()), { maxLength: 8 }),
        cuts,
        fc.boolean(),
        (pairs, cutAt, gnu) => {
          const entries = pairs.map(([e]) => e);
          const keepers = new Set(pairs.filter(([, k]) => k).map(([e]) => e.name));
          const bytes = gnu ? gnuTar(entries) : writeTar(entries);
          const got = readChunked(chunks(bytes, cutAt), (n) => keepers.has(n));
          expect(got).toEqual(entries.map((e) => expected(e, keepers.has(e.name))));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** One PAX record `"<len> <text>\n"`, its length field counting itself. */
function rawRecord(text: string): string {
  const rec = ` ${text}\n`;
  let len = Buffer.byteLength(rec) + 1;
  while (String(len).length + Buffer.byteLength(rec) !== len) len++;
  return `${len}${rec}`;
}
const paxRecord = (key: string, value: string) => rawRecord(`${key}=${value}`);

const paxKey = fc.oneof(
  fc.constantFrom('mtime', 'atime', 'uid', 'gname', 'comment', 'SCHILY.xattr.user.a', 'GNU.sparse.name'),
  fc.stringMatching(/^[a-zA-Z.]{1,12}$/).filter((k) => k !== 'path' && k !== 'linkpath'),
);
const paxValue = fc.string({ unit: 'grapheme', maxLength: 120 }).filter(noNul);

describe('PAX records', () => {
  it('well-formed records around `path` (values with =, newlines, unicode) name the entry by `path`', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(paxKey, paxValue), { maxLength: 4 }),
        fc.array(fc.tuple(paxKey, paxValue), { maxLength: 4 }),
        paxValue.filter((v) => v !== ''),
        fc.uint8Array({ maxLength: 700 }),
        cuts,
        (before, after, path, data, cutAt) => {
          const records = [
            ...before.map(([k, v]) => paxRecord(k, v)),
            paxRecord('path', path),
            ...after.map(([k, v]) => paxRecord(k, v)),
          ].join('');
          const pax = Buffer.from(records);
          const bytes = Buffer.concat([
            rawHeader('PaxHeaders/f', pax.length, 'x'),
            body(pax),
            rawHeader('short-name', data.length, '0'),
            body(Buffer.from(data)),
            Buffer.alloc(BLOCK * 2),
          ]);
          const got = readChunked(chunks(bytes, cutAt));
          expect(got.map((e) => [e.name, e.data])).toEqual([[path, Buffer.from(data)]]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('records with bad lengths (0, negative, too long, not a number, cut) end in a TarError or a clean result', () => {
    const badLength = fc.oneof(
      fc.constantFrom(
        '0',
        '-5',
        '1',
        '3',
        '99999999999999999999',
        'x',
        '',
        ' ',
        '0x10',
        '1e2',
        'NaN',
        '12.5',
      ),
      fc.integer({ min: -10, max: 400 }).map(String),
    );
    const record = fc.oneof(
      fc.tuple(paxKey, paxValue).map(([k, v]) => paxRecord(k, v)),
      fc
        .tuple(badLength, fc.constantFrom('path', 'linkpath', 'mtime'), paxValue)
        .map(([n, k, v]) => `${n} ${k}=${v}\n`),
      fc.string({ unit: 'binary', maxLength: 60 }),
      // a right length, no `=`
      paxValue.filter((v) => !v.includes('=')).map(rawRecord),
    );
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 4000 })),
        cuts,
        (records, declared, cutAt) => {
          const pax = Buffer.from(records.join(''));
          const bytes = Buffer.concat([
            rawHeader('PaxHeaders/f', declared ?? pax.length, 'x'),
            body(pax),
            rawHeader('name', 3, '0'),
            body(Buffer.from('abc')),
            Buffer.alloc(BLOCK * 2),
          ]);
          tarErrorOrResult(() => readChunked(chunks(bytes, cutAt)));
        },
      ),
      { numRuns: RUNS },
    );
  });
  it('a PAX body is read in linear time, whatever its length fields (leading zeros, shorter than themselves)', () => {
    // Timed, with a wide margin: linear reading takes a few ms; a parser that re-scans the body per
    // record (a length that does not get it past its own digits) takes seconds on these sizes.
    fc.assert(
      fc.property(
        fc.integer({ min: 200_000, max: 400_000 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('', ' path=x\n', ' ', '=\n'),
        (zeros, len, tail) => {
          const pax = Buffer.from(`${'0'.repeat(zeros)}${len}${tail}`);
          const bytes = Buffer.concat([
            rawHeader('PaxHeaders/f', pax.length, 'x'),
            body(pax),
            rawHeader('f', 0, '0'),
            Buffer.alloc(BLOCK * 2),
          ]);
          const started = performance.now();
          tarErrorOrResult(() => readChunked([bytes]));
          expect(performance.now() - started).toBeLessThan(1000);
        },
      ),
      { numRuns: 4, endOnFailure: true },
    );
  }, 120_000);
});

describe('robustness: TarError or a clean result, nothing else', () => {
  it('random bytes in random chunks', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          // Mostly zeros with a few bytes set: header-like blocks, zero blocks, short tails.
          fc
            .tuple(
              fc.integer({ min: 0, max: 3000 }),
              fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 20 }),
            )
            .map(([n, sets]) => {
              const b = new Uint8Array(n);
              for (const [at, v] of sets) if (n > 0) b[at % n] = v;
              return b;
            }),
        ),
        cuts,
        (bytes, cutAt) => {
          tarErrorOrResult(() => readChunked(chunks(Buffer.from(bytes), cutAt)));
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('a cut archive ends in `unexpected EOF`, or, cut between entries, in exactly the entries before the cut', () => {
    /** Bytes of `list` as written, without the end-of-archive blocks (writeTar concatenates). */
    const span = (list: TarEntry[]) => writeTar(list).length - 2 * BLOCK;
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 6 }),
        fc.oneof(
          fc.nat(),
          fc.nat().map((n) => n * BLOCK),
        ),
        cuts,
        (entries, cut, cutAt) => {
          const whole = writeTar(entries);
          const at = cut % whole.length;
          let got: TarEntry[] | undefined;
          let error: unknown;
          try {
            got = readChunked(chunks(whole.subarray(0, at), cutAt));
          } catch (err) {
            error = err;
          }
          // Where a clean end is right: at the start of an entry, after the PAX header of the
          // next one (Go's reader ends there too), or inside the end-of-archive blocks once the
          // first is whole.
          const k = got?.length ?? 0;
          const boundary = span(entries.slice(0, k));
          const next = entries[k];
          const clean =
            at === boundary ||
            (next !== undefined &&
              at ===
                boundary +
                  span([next]) -
                  BLOCK -
                  Math.ceil((next.type === 'file' ? next.data.length : 0) / BLOCK) * BLOCK) ||
            (next === undefined && at >= boundary + BLOCK);
          if (got) {
            expect(got).toEqual(entries.slice(0, k).map((e) => expected(e)));
            expect(clean, `clean end at ${at} of ${whole.length}`).toBe(true);
          } else {
            expect(error).toBeInstanceOf(TarError);
            expect((error as Error).message).toBe('unexpected EOF');
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('mutated bytes anywhere in a valid archive', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 5 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        cuts,
        fc.boolean(),
        (entries, sets, cutAt, gnu) => {
          const bytes = Buffer.from(gnu ? gnuTar(entries) : writeTar(entries));
          for (const [at, v] of sets) bytes[at % bytes.length] = v;
          tarErrorOrResult(() => readChunked(chunks(bytes, cutAt)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('mutated header fields (size, checksum, type flag, mode, name), checksum fixed up or not', () => {
    const octalText = fc.stringMatching(/^[0-7]{1,12}$/);
    const fieldValue = fc.oneof(
      octalText,
      fc.constantFrom('77777777777\0', '777777777777', ' 17 \0', '\0\0\0', '8', '-1', '1e9', 'Infinity'),
      fc.string({ unit: 'binary-ascii', maxLength: 12 }),
      // base-256 (GNU) sizes: high bit set
      fc.uint8Array({ minLength: 12, maxLength: 12 }).map((a) => Buffer.from([0x80 | a[0]!, ...a.slice(1)])),
    );
    const mutation = fc.record({
      entryIndex: fc.nat(),
      field: fc.constantFrom(
        { at: 124, len: 12 }, // size
        { at: 148, len: 8 }, // checksum
        { at: 156, len: 1 }, // type flag
        { at: 100, len: 8 }, // mode
        { at: 136, len: 12 }, // mtime
        { at: 0, len: 100 }, // name
        { at: 345, len: 155 }, // prefix
      ),
      value: fieldValue,
      flag: fc.constantFrom(...'0125xLgKS7\0A'.split('')),
      fix: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 5 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        cuts,
        (entries, mutations, cutAt) => {
          const bytes = Buffer.from(writeTar(entries));
          // Header offsets: walk the archive as written (before mutating it).
          const headers: number[] = [];
          for (let at = 0; at + BLOCK <= bytes.length - 2 * BLOCK; ) {
            headers.push(at);
            const size = Number.parseInt(bytes.subarray(at + 124, at + 135).toString('latin1'), 8);
            at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
          }
          for (const m of mutations) {
            const h = bytes.subarray(headers[m.entryIndex % headers.length]!).subarray(0, BLOCK);
            h.fill(0, m.field.at, m.field.at + m.field.len);
            if (m.field.len === 1) h.write(m.flag, m.field.at, 1, 'latin1');
            else if (typeof m.value === 'string') h.write(m.value, m.field.at, m.field.len, 'latin1');
            else m.value.copy(h, m.field.at, 0, m.field.len);
            if (m.fix && m.field.at !== 148) fixChecksum(h);
          }
          tarErrorOrResult(() => readChunked(chunks(bytes, cutAt)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('a size field allocates nothing: what cannot be kept is refused at its header', () => {
  const MiB = 1024 * 1024;
  it('a file over `limit`, a PAX or GNU-L body over 1 MiB: TarError from the header alone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0', '\0', 'x', 'L'),
        fc.oneof(fc.integer({ min: MiB + 1, max: 2 ** 36 - 1 }), fc.constant(2 ** 36 - 1)),
        fc.integer({ min: 0, max: 64 * 1024 }),
        (flag, size, limit) => {
          const meta = flag === 'x' || flag === 'L';
          fc.pre(meta || size > limit);
          const r = new TarReader(
            () => {},
            () => true,
            limit,
          );
          expect(() => r.push(rawHeader('big', size, flag))).toThrow(TarError);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the same sizes on entries nobody keeps (skipped files, dirs, other types) are read through', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('0', '5', '1', '3', '7', 'g'),
        fc.integer({ min: 0, max: 3000 }),
        cuts,
        (flag, size, cutAt) => {
          const bytes = Buffer.concat([
            rawHeader('skipped', size, flag),
            Buffer.alloc(Math.ceil(size / BLOCK) * BLOCK, 1),
            rawHeader('after', 2, '0'),
            body(Buffer.from('ok')),
            Buffer.alloc(BLOCK * 2),
          ]);
          // A file is skipped because `keep` refuses it; dirs, links and other types whatever `keep` says.
          const keep = flag === '0' ? (n: string) => n === 'after' : () => true;
          const got = readChunked(chunks(bytes, cutAt), keep, 16);
          expect(got.find((e) => e.name === 'after')?.data.toString()).toBe('ok');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
