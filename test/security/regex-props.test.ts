/**
 * The pattern module on its own: Go's syntax and messages, the length cap, and properties over random
 * patterns (only the typed error ever escapes; simple patterns match exactly as JavaScript's RegExp).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileGlob,
  compileRegex,
  dockerMatch,
  InvalidPatternError,
  MAX_PATTERN_LENGTH,
} from '../../src/backends/patterns.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';

function refusal(pattern: string): string {
  try {
    compileRegex(pattern);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPatternError);
    expect(isSwarmError(err, ErrorCode.InvalidPattern)).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`compiled: ${pattern}`);
}

describe('Go regexp syntax and messages', () => {
  it('refuses what Go 1.19 refuses, with its message', () => {
    expect(refusal('^/((a)\\2*)+$')).toBe('error parsing regexp: invalid escape sequence: `\\2`');
    expect(refusal('(')).toBe('error parsing regexp: missing closing ): `(`');
    expect(refusal('a**')).toBe('error parsing regexp: invalid nested repetition operator: `**`');
    expect(refusal('x{1001}')).toBe('error parsing regexp: invalid repeat count: `{1001}`');
    // (?<name>…) came with Go 1.22; the first error from the left wins, as in Go's parser.
    expect(refusal('a(?<n>x)')).toBe('error parsing regexp: invalid or unsupported Perl syntax: `(?<`');
    expect(refusal('(?<=a)b')).toBe('error parsing regexp: invalid or unsupported Perl syntax: `(?<`');
    expect(refusal('\\8(?<n>x)')).toBe('error parsing regexp: invalid escape sequence: `\\8`');
    expect(refusal('a**(?<n>x)')).toBe('error parsing regexp: invalid nested repetition operator: `**`');
  });

  it('accepts Go forms, and (?< where it opens no group', () => {
    expect(compileRegex('(?P<n>a)_').test('a_')).toBe(true);
    expect(compileRegex('(?i)^node-\\d$').test('NODE-7')).toBe(true);
    expect(compileRegex('[(?<]').test('<')).toBe(true);
    expect(compileRegex('\\Q(?<\\E').test('x(?<y')).toBe(true);
    expect(compileRegex('\\(?<').test('<')).toBe(true);
    expect(compileRegex('_\\z').test('a_')).toBe(true);
  });

  it('caps the length with Go’s message for an over-large expression', () => {
    expect(compileRegex('a'.repeat(MAX_PATTERN_LENGTH)).test('a'.repeat(MAX_PATTERN_LENGTH))).toBe(true);
    expect(refusal('a'.repeat(MAX_PATTERN_LENGTH + 1))).toBe('error parsing regexp: expression too large');
    expect(() => compileGlob('*'.repeat(MAX_PATTERN_LENGTH + 1))).toThrow(InvalidPatternError);
  });

  it('dockerMatch is filters.Args.Match: exact value, else a compiling regex; invalid values skipped', () => {
    expect(dockerMatch(undefined, 'x')).toBe(true);
    expect(dockerMatch([], 'x')).toBe(true);
    expect(dockerMatch(['(', 'b'], 'abc')).toBe(true);
    expect(dockerMatch(['('], 'abc')).toBe(false);
    expect(dockerMatch(['('], '(')).toBe(true);
  });

  it('globs: whole string, * any run (newlines too), ? one character (a code point), the rest literal', () => {
    expect(compileGlob('n?de*').test('node-1\nx')).toBe(true);
    expect(compileGlob('a.b').test('axb')).toBe(false);
    expect(compileGlob('(x)[y]').test('(x)[y]')).toBe(true);
    expect(compileGlob('?').test('😀')).toBe(true);
    expect(compileGlob('node').test('node1')).toBe(false);
  });
});

/** Regex-ish strings from a small grammar both engines read alike (no backrefs, lookaround, or \s). */
const atom = fc.oneof(
  fc.constantFrom('a', 'b', 'A', '_', '/', '.', '\\d', '\\w', '\\b', '[ab]', '[^a]', '[a-c_]', '\\.', '1'),
  fc.constantFrom('^', '$'),
);
const quant = fc.constantFrom('', '', '*', '+', '?', '*?', '+?', '{2}', '{1,3}', '{0,}');
/** Alternations of up to 2 sequences of up to 3 items, groups nesting `depth` deep: small, so JS stays quick. */
function alternation(depth: number): fc.Arbitrary<string> {
  const simple = fc.tuple(atom, quant).map(([a, q]) => (a === '^' || a === '$' || a === '\\b' ? a : a + q));
  const item =
    depth === 0
      ? simple
      : fc.oneof(
          simple,
          fc
            .tuple(fc.constantFrom('(', '(?:'), alternation(depth - 1), quant)
            .map(([o, a, q]) => `${o}${a})${q}`),
        );
  const seq = fc.array(item, { maxLength: 3 }).map((xs) => xs.join(''));
  return fc.array(seq, { minLength: 1, maxLength: 2 }).map((xs) => xs.join('|'));
}
const regexish = alternation(2);
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '_', '/', '1', '.', ' '), maxLength: 12 });

describe('random patterns (property)', () => {
  it('anything at all: compiles and matches, or throws the typed error, nothing else', () => {
    const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(fc.oneof(anyText, regexish), anyText, (pattern, input) => {
        let compiled: ReturnType<typeof compileRegex> | undefined;
        try {
          compiled = compileRegex(pattern);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidPatternError);
          expect((err as Error).message).toMatch(/^error parsing regexp: /);
          return;
        }
        expect(typeof compiled.test(input)).toBe('boolean');
        expect(typeof dockerMatch([pattern], input)).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });

  it('grammar patterns: Go accepts them and matches exactly as JavaScript does (also under (?i))', () => {
    fc.assert(
      fc.property(
        regexish,
        fc.array(text, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (p, inputs, fold) => {
          const go = compileRegex(fold ? `(?i)${p}` : p);
          const js = new RegExp(p, fold ? 'i' : '');
          for (const input of inputs) expect([p, input, go.test(input)]).toEqual([p, input, js.test(input)]);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
