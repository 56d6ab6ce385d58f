/**
 * Property tests (fast-check) of client identities (src/backends/docker/http-identity.ts) and their
 * use as the owner label value of `policy --own` (src/backends/policy/ownership.ts):
 * 1. `isIdentity` accepts exactly what an independent, character-by-character reading of its rule
 *    accepts — so no `=`, `,`, quotes, JSON specials, whitespace, control or non-ASCII characters
 *    (fullwidth and case-folding lookalikes included) and nothing over 128 characters — for any
 *    string, and for any non-string value;
 * 2. every door an identity comes through agrees with it: dockerserver `--identity`, policy
 *    `--identity`, and the identity a request carries (`requestOwner`);
 * 3. an accepted identity round-trips unchanged: it is the exact owner label value of the list
 *    filter (whatever filters the client sent, its own owner claims included) and of a create's
 *    labels (whatever spelling of `Labels` the body uses);
 * 4. end to end through `Ownership` in front of the simulator: a list shows exactly the containers
 *    whose owner label equals the identity, and inspect reaches exactly those, whatever owner labels
 *    (lookalikes, prefixes, `=`/`,`-laden values) the other containers carry.
 * `IDENTITY_PROP_RUNS` scales the runs; fast-check prints the seed of a failure to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { IDENTITY_PATTERN, isIdentity } from '../../src/backends/docker/http-identity.js';
import { parseServerArgs } from '../../src/backends/docker/http-listen.js';
import { parsePolicyArgs } from '../../src/backends/policy/options.js';
import {
  OWNER_LABEL,
  Ownership,
  withOwnerFilter,
  withOwnerLabel,
} from '../../src/backends/policy/ownership.js';
import { requestOwner } from '../../src/backends/policy.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import { harness } from '../simulator/helpers.js';

const RUNS = Number(process.env.IDENTITY_PROP_RUNS ?? 300);

/** The rule, read character by character (not by a regular expression). */
function byTheRule(s: string): boolean {
  const alnum = (c: string) => (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  if (s.length < 1 || s.length > 128) return false;
  if (!alnum(s[0]!)) return false;
  for (const c of s) if (!(alnum(c) || c === '.' || c === '_' || c === '@' || c === '-')) return false;
  return true;
}

/** The pattern's text, without flags (fast-check generates from it; a flag is what the rule test checks). */
const PATTERN = new RegExp(IDENTITY_PATTERN.source);

/** Characters that must never be in an identity, next to the ones that may. */
const hostile = [
  ...'=,;:"\'`\\/{}[]()<>*?!#$%&+|~^ \t\n\r\v\f\0\u0085\u2028\u2029',
  '\u212a', // KELVIN SIGN: folds to k
  '\u0130', // I WITH DOT: folds to i
  '\u017f', // LONG S: folds to s
  '\uff41', // FULLWIDTH a
  '\u0430', // CYRILLIC a
  'é',
  '\u200b', // ZERO WIDTH SPACE
  '\ud800', // a lone surrogate
  '😀',
];
const allowed = [...'abcxyzABCXYZ0189._@-'];
const identityLike = fc
  .array(fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...allowed) }, fc.constantFrom(...hostile)), {
    maxLength: 140,
  })
  .map((cs) => cs.join(''));
const anyString = fc.oneof(
  identityLike,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: 125, max: 131 }).map((n) => `a${'b'.repeat(n - 1)}`),
  fc
    .stringMatching(PATTERN)
    .chain((ok) =>
      fc
        .tuple(fc.nat(ok.length), fc.constantFrom(...hostile))
        .map(([at, h]) => ok.slice(0, at) + h + ok.slice(at)),
    ),
);
/** Accepted identities (generated from the pattern itself, then also from the rule's corners). */
const identity = fc.oneof(
  fc.stringMatching(PATTERN),
  identityLike.filter(byTheRule),
  fc.constantFrom('a', 'A'.repeat(128), '0@x', 'ci', 'alice@example.com', 'x-', 'a..b', 'a_b'),
);

describe('isIdentity', () => {
  it('accepts exactly what the rule says, for any string', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        expect(isIdentity(s), JSON.stringify(s)).toBe(byTheRule(s));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('never accepts a filter or JSON special: = , quotes, braces, backslash, whitespace, controls', () => {
    fc.assert(
      fc.property(identity, fc.nat(), fc.constantFrom(...'=,"\'`{}[]:\\ \n\r\t\0'), (ok, at, special) => {
        const i = at % (ok.length + 1);
        expect(isIdentity(ok.slice(0, i) + special + ok.slice(i))).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses every value that is not a string', () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string'),
        (v) => {
          expect(isIdentity(v)).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('every door agrees with isIdentity', () => {
  it('dockerserver --identity, policy --identity and the identity a request carries', () => {
    fc.assert(
      fc.property(fc.oneof(anyString, identity), (s) => {
        const ok = isIdentity(s);
        let server: ReturnType<typeof parseServerArgs> | undefined;
        try {
          server = parseServerArgs(['unix:///tmp/identity-props.sock', '--identity', s]);
        } catch {}
        expect(server?.identity, JSON.stringify(s)).toEqual(ok ? { kind: 'fixed', name: s } : undefined);
        let policy: ReturnType<typeof parsePolicyArgs> | undefined;
        try {
          policy = parsePolicyArgs(['--own', '--identity', s]);
        } catch {}
        expect(policy?.identity, JSON.stringify(s)).toBe(ok ? s : undefined);
        const who = requestOwner({ op: 'container.list', query: {}, identity: s }, 'fallback');
        expect(who, JSON.stringify(s)).toEqual(ok ? { owner: s } : { what: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
  });

  it('a request identity that is not a string never names an owner (not even the fallback)', () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string' && v !== undefined),
        (v) => {
          const who = requestOwner({ op: 'container.list', query: {}, identity: v as string }, 'fallback');
          expect('owner' in who).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** Docker filter JSON a client may send, owner claims included. */
const labelValue = fc.oneof(
  fc.constantFrom(OWNER_LABEL, `${OWNER_LABEL}=mallory`, `${OWNER_LABEL}=`, 'x=1', 'x', 'a=b=c'),
  fc.string({ maxLength: 20 }),
  identity.map((i) => `${OWNER_LABEL}=${i}`),
);
const clientFilters = fc.oneof(
  fc.constant(undefined),
  fc.constant(''),
  fc
    .dictionary(
      fc.oneof(
        fc.constantFrom('label', 'name', 'status', 'id', '__proto__', 'LABEL'),
        fc.string({ maxLength: 8 }),
      ),
      fc.oneof(
        fc.array(labelValue, { maxLength: 3 }),
        fc.array(labelValue, { maxLength: 3 }).map((vs) => Object.fromEntries(vs.map((v) => [v, true]))),
      ),
      { maxKeys: 4 },
    )
    .map((d) => JSON.stringify(d)),
);

/** A filters document as dockerd reads it: key → set of values (both JSON spellings). */
function filterSets(json: string): Map<string, Set<string>> {
  const parsed = JSON.parse(json) as Record<string, string[] | Record<string, boolean>>;
  return new Map(Object.entries(parsed).map(([k, v]) => [k, new Set(Array.isArray(v) ? v : Object.keys(v))]));
}

describe('an accepted identity round-trips unchanged as the owner label value', () => {
  it('in the list filter: the one owner value is the identity, every client filter kept', () => {
    fc.assert(
      fc.property(identity, clientFilters, (owner, filters) => {
        const out = withOwnerFilter(filters, owner);
        expect(out).toBeDefined();
        const sets = filterSets(out!);
        // The owner's entry, exactly: dockerd reads it as key OWNER_LABEL, value `owner`.
        expect(sets.get('label')?.has(`${OWNER_LABEL}=${owner}`)).toBe(true);
        // Nothing the client asked for is lost (label filters are ANDed: more can only narrow).
        if (filters) {
          for (const [k, vs] of filterSets(filters)) {
            if (k === '__proto__') continue;
            for (const v of vs) expect(sets.get(k)?.has(v), `${k}: ${v}`).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("in a create's labels, whatever spelling of Labels (and owner claims) the body has", () => {
    const spelling = fc.constantFrom('Labels', 'labels', 'LABELS', 'lAbElS', 'Label', 'Labels ');
    fc.assert(
      fc.property(
        identity,
        fc.dictionary(spelling, fc.dictionary(fc.oneof(fc.constant(OWNER_LABEL), fc.string()), fc.string())),
        fc.option(fc.dictionary(fc.oneof(fc.constant(OWNER_LABEL), fc.string()), fc.string())),
        (owner, bodyLabels, decoded) => {
          const body = { Image: 'busybox', ...bodyLabels };
          const out = withOwnerLabel(body, decoded ? { Labels: decoded } : undefined, owner) as Record<
            string,
            unknown
          >;
          const labelKeys = Object.keys(out).filter((k) => k.toUpperCase() === 'LABELS');
          expect(labelKeys).toEqual(['Labels']);
          expect((out.Labels as Record<string, string>)[OWNER_LABEL]).toBe(owner);
          expect(JSON.parse(JSON.stringify(out)).Labels[OWNER_LABEL]).toBe(owner);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('end to end: Ownership in front of the simulator', () => {
  const h = harness();
  const downstream: Sender<Message> = {
    [kSender]: true,
    closed: false,
    send(m) {
      void h.sim.handle(m);
      return undefined;
    },
    close() {},
  };
  const own = new Ownership(downstream, h.clock);

  /** Owner labels the other containers carry: near misses of `owner`, and other identities. */
  const otherOwner = (owner: string) =>
    fc.oneof(
      identity,
      fc.constantFrom(
        `${owner}x`,
        owner.slice(0, -1),
        owner.toUpperCase(),
        owner.toLowerCase(),
        ` ${owner}`,
        `${owner}\n`,
        `${owner},${owner}`,
        `${owner}=${owner}`,
        `"${owner}"`,
        '*',
        '',
        'mallory',
      ),
    );

  it('a list shows exactly the containers the identity owns; inspect reaches exactly those', async () => {
    await fc.assert(
      fc.asyncProperty(
        identity.chain((owner) =>
          fc.tuple(
            fc.constant(owner),
            fc.array(fc.oneof(fc.constant(owner), otherOwner(owner), fc.constant(undefined)), {
              minLength: 1,
              maxLength: 5,
            }),
            clientFilters,
          ),
        ),
        async ([owner, labels, filters]) => {
          const ids: { id: string; label: string | undefined }[] = [];
          for (const label of labels) {
            const Labels = label === undefined ? {} : { [OWNER_LABEL]: label };
            const r = await h.call('container.create', {
              body: { Image: 'busybox:local', Cmd: ['true'], Labels },
            });
            expect(r.verb, r.args.message).toBe('set');
            ids.push({ id: (r.args.body as { Id: string }).Id, label });
          }
          try {
            const mine = new Set(ids.filter((c) => c.label === owner).map((c) => c.id));
            // With no client filters, the list is exactly the owned containers.
            const list = await own.check({ op: 'container.list', query: { all: '1' } }, undefined, owner);
            expect(list.kind).toBe('forward');
            if (list.kind !== 'forward') return;
            const rows = (await h.call('container.list', { query: list.args.query })).args.body as {
              Id: string;
              Labels: Record<string, string>;
            }[];
            expect(new Set(rows.map((r) => r.Id))).toEqual(mine);
            // With the client's filters: a subset of them, never anyone else's.
            const filtered = await own.check(
              { op: 'container.list', query: { all: '1', ...(filters === undefined ? {} : { filters }) } },
              undefined,
              owner,
            );
            if (filtered.kind === 'forward') {
              const got = await h.call('container.list', { query: filtered.args.query });
              if (got.verb === 'set')
                for (const r of got.args.body as { Id: string }[]) expect(mine.has(r.Id), r.Id).toBe(true);
            }
            for (const c of ids) {
              const o = await own.check({ op: 'container.inspect', id: c.id, query: {} }, undefined, owner);
              expect(o.kind, `${JSON.stringify(c.label)} vs ${owner}`).toBe(
                mine.has(c.id) ? 'forward' : 'absent',
              );
            }
          } finally {
            for (const c of ids)
              expect((await h.call('container.remove', { id: c.id, query: { force: '1' } })).verb).not.toBe(
                'error',
              );
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });
});
