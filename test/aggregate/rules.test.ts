import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdsImage, normalizeImageRef } from '../../src/backends/aggregate/images.js';
import {
  extractRules,
  formatRule,
  matchPattern,
  parseRule,
  ruleHolds,
} from '../../src/backends/aggregate/rules.js';
import { tryRegex } from '../../src/backends/patterns.js';
import { isSwarmError } from '../../src/errors.js';

const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/);
// Values with no `=`/`!` so the operator position is unambiguous, and not starting with `~`.
const value = fc.stringMatching(/^[A-Za-z0-9:._*?/-][A-Za-z0-9:._*?/ -]{0,12}$/).filter((v) => {
  // A `/regex/` value must compile under Go's syntax (the parser refuses the rule otherwise).
  return !(v.length >= 2 && v.startsWith('/') && v.endsWith('/')) || tryRegex(v.slice(1, -1)) !== undefined;
});
const rule = fc.record({
  kind: fc.constantFrom('constraint' as const, 'affinity' as const),
  key,
  negate: fc.boolean(),
  soft: fc.boolean(),
  pattern: value,
});

describe('placement rule parser', () => {
  it('parses the classic forms', () => {
    expect(parseRule('constraint:storage==ssd')).toEqual({
      kind: 'constraint',
      key: 'storage',
      negate: false,
      soft: false,
      pattern: 'ssd',
    });
    expect(parseRule('constraint:node!=node2')).toMatchObject({ key: 'node', negate: true, soft: false });
    expect(parseRule('affinity:image==~redis')).toMatchObject({
      kind: 'affinity',
      soft: true,
      pattern: 'redis',
    });
    expect(parseRule('constraint:node==/node[12]/')).toMatchObject({ pattern: '/node[12]/' });
    expect(parseRule('affinity:container!=~web*')).toMatchObject({
      negate: true,
      soft: true,
      pattern: 'web*',
    });
  });

  it('round-trips every well-formed rule through formatRule', () => {
    fc.assert(
      fc.property(rule, (r) => {
        expect(parseRule(formatRule(r))).toEqual(r);
      }),
    );
  });

  it('never throws anything but an invalid-argument SwarmError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        for (const text of [s, `constraint:${s}`, `affinity:${s}`]) {
          try {
            parseRule(text);
          } catch (err) {
            expect(isSwarmError(err, 'SWARM_ERR_INVALID_ARGUMENT')).toBe(true);
            expect((err as Error).message).toContain(text);
          }
        }
      }),
    );
  });

  it('rejects malformed rules with the reason', () => {
    expect(() => parseRule('constraint:storage=ssd')).toThrow(/key==value/);
    expect(() => parseRule('constraint:==ssd')).toThrow(/not a valid key/);
    expect(() => parseRule('constraint:node==')).toThrow(/empty/);
    expect(() => parseRule('constraint:node==/[/')).toThrow(/regular expression/);
    expect(() => parseRule('whatever:node==a')).toThrow(/constraint: or affinity:/);
  });

  it('extracts rules from Env and keeps the rest in order', () => {
    const { rules, env } = extractRules(['A=1', 'constraint:node==n1', 'B=2', 'affinity:image==x']);
    expect(env).toEqual(['A=1', 'B=2']);
    expect(rules.map(formatRule)).toEqual(['constraint:node==n1', 'affinity:image==x']);
    expect(extractRules(null)).toEqual({ rules: [], env: [] });
  });
});

describe('pattern matching', () => {
  it('a literal matches only itself, whole-string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[^*?]{1,12}$/), fc.string({ maxLength: 12 }), (lit, other) => {
        if (lit.startsWith('/') && lit.endsWith('/') && lit.length >= 2) return;
        expect(matchPattern(lit, lit)).toBe(true);
        expect(matchPattern(lit, other)).toBe(lit === other);
      }),
    );
  });

  it('globs and regexes', () => {
    expect(matchPattern('node*', 'node12')).toBe(true);
    expect(matchPattern('node*', 'xnode1')).toBe(false);
    expect(matchPattern('n?de1', 'node1')).toBe(true);
    expect(matchPattern('a.b', 'axb')).toBe(false);
    expect(matchPattern('/^node[12]$/', 'node2')).toBe(true);
    expect(matchPattern('/^node[12]$/', 'node3')).toBe(false);
    fc.assert(
      fc.property(fc.string(), (s) => {
        expect(matchPattern('*', s)).toBe(true);
      }),
    );
  });

  it('!= holds exactly when == does not', () => {
    fc.assert(
      fc.property(rule, fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }), (r, values) => {
        expect(ruleHolds({ ...r, negate: true }, values)).toBe(!ruleHolds({ ...r, negate: false }, values));
      }),
    );
  });
});

describe('image references', () => {
  it('normalises Docker Hub forms and ids', () => {
    expect(normalizeImageRef('busybox')).toBe('busybox:latest');
    expect(normalizeImageRef('docker.io/library/busybox:1')).toBe('busybox:1');
    expect(normalizeImageRef('localhost:5000/app')).toBe('localhost:5000/app:latest');
    expect(holdsImage(['busybox:latest'], 'docker.io/library/busybox')).toBe(true);
    expect(holdsImage(['sha256:abcdef0123456789'], 'abcdef012345')).toBe(true);
    expect(holdsImage(['busybox:local'], 'busybox')).toBe(false);
  });
});
