/**
 * User-supplied patterns — `filters` values (`name`), `/regex/` placement rules, globs — compiled on
 * re2js: RE2 in pure JavaScript, so matching time is linear in the text (no backtracking: a pattern such
 * as `^/((a)*)+$` cannot freeze the event loop), with the syntax of Go's `regexp` package, which dockerd and
 * classic Swarm use. A pattern Go rejects throws {@link InvalidPatternError} carrying Go's own message
 * (`error parsing regexp: invalid escape sequence: \`\2\``).
 * @module
 */
import { RE2JS, RE2JSException } from 're2js';
import { ErrorCode, SwarmError } from '../errors.js';

/** A compiled pattern: `test` says whether it matches somewhere in (regex) or all of (glob) `text`. */
export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

/**
 * The longest pattern accepted, in UTF-16 units. dockerd has no such cap, but RE2's bound is linear in
 * the text *times* the pattern: in this pure-JS engine `a?`×1000 then `a`×1000 against 1,000 `a`s takes
 * ~0.4 s, and a filter runs once per container row. 1 KiB keeps any one match within milliseconds while
 * leaving room far beyond real names and constraints; a longer pattern is refused with Go's own message
 * for an over-large expression, so it behaves like any pattern Go cannot compile.
 */
export const MAX_PATTERN_LENGTH = 1024;

/**
 * Compiled patterns (and refusals) kept across requests, least recently used evicted first. Patterns
 * come from users, so the cache is capped; a pattern within {@link MAX_PATTERN_LENGTH} compiles to at
 * most a few hundred KiB (Unicode classes), the typical one to ~5 KiB.
 */
const CACHE_ENTRIES = 128;
const cache = new Map<string, Pattern | InvalidPatternError>();

/** A pattern Go's `regexp.Compile` would refuse (or one over {@link MAX_PATTERN_LENGTH}). */
export class InvalidPatternError extends SwarmError {
  /** The pattern as the user wrote it. */
  readonly pattern: string;

  constructor(pattern: string, message: string, cause?: unknown) {
    super(ErrorCode.InvalidPattern, message, { cause, details: { pattern: pattern.slice(0, 200) } });
    this.pattern = pattern;
  }
}

/**
 * Compiles `source` as Go's `regexp.Compile` does (unanchored; `test` is `MatchString`). Throws
 * {@link InvalidPatternError} with Go's message when Go would refuse it; never anything else.
 */
export function compileRegex(source: string): Pattern {
  const key = `r${source}`;
  let hit = cache.get(key);
  if (hit === undefined) {
    hit = compileUncached(source);
    remember(key, hit);
  } else {
    // Refresh recency: a Map iterates in insertion order, so re-inserting makes this the newest.
    cache.delete(key);
    cache.set(key, hit);
  }
  if (hit instanceof InvalidPatternError) throw hit;
  return hit;
}

/** {@link compileRegex}, or `undefined` where Go's compile returns an error. */
export function tryRegex(source: string): Pattern | undefined {
  try {
    return compileRegex(source);
  } catch (err) {
    if (err instanceof InvalidPatternError) return undefined;
    throw err;
  }
}

/**
 * A whole-string glob: `*` is any run of characters (newlines too), `?` any one character, everything
 * else itself. Throws {@link InvalidPatternError} only when longer than {@link MAX_PATTERN_LENGTH}.
 */
export function compileGlob(glob: string): Pattern {
  return globOf(glob, '.*', '.');
}

/**
 * Go's `path.Match` for `*` and `?` (an image reference filter): like {@link compileGlob}, but `*` and
 * `?` stop at `/`. Throws {@link InvalidPatternError} only when longer than {@link MAX_PATTERN_LENGTH}.
 */
export function compilePathGlob(glob: string): Pattern {
  return globOf(glob, '[^/]*', '[^/]');
}

function globOf(glob: string, star: string, one: string): Pattern {
  if (glob.length > MAX_PATTERN_LENGTH) throw tooLarge(glob);
  const body = Array.from(glob, (c) => (c === '*' ? star : c === '?' ? one : RE2JS.quote(c))).join('');
  const re = compileRegex(`(?s)^${body}$`);
  return { source: glob, test: (text) => re.test(text) };
}

/**
 * dockerd's `filters.Args.Match` for one key's values: true when there are none, when one equals
 * `source` exactly, or when one compiles and matches it. A value Go cannot compile is skipped, not an
 * error: dockerd 20.10 answers 200 and the value selects nothing.
 */
export function dockerMatch(values: readonly string[] | undefined, source: string): boolean {
  if (!values || values.length === 0) return true;
  if (values.includes(source)) return true;
  return values.some((v) => tryRegex(v)?.test(source) === true);
}

function remember(key: string, value: Pattern | InvalidPatternError): void {
  if (cache.size >= CACHE_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}

function compileUncached(source: string): Pattern | InvalidPatternError {
  if (source.length > MAX_PATTERN_LENGTH) return tooLarge(source);
  try {
    const at = angleGroupAt(source);
    if (at >= 0) return angleGroupError(source, at);
    const re = RE2JS.compile(source);
    return { source, test: (text) => re.test(text) };
  } catch (err) {
    // re2js words its syntax errors exactly as Go does; anything else (an internal limit) is still a
    // pattern we cannot run, so it is refused the same way rather than escaping as an untyped error.
    const message =
      err instanceof RE2JSException ? err.message : `error parsing regexp: ${(err as Error).message}`;
    return new InvalidPatternError(source, message, err);
  }
}

function tooLarge(source: string): InvalidPatternError {
  return new InvalidPatternError(source, 'error parsing regexp: expression too large');
}

/**
 * Go before 1.22 (dockerd 20.10 is built with 1.19) has no `(?<name>…)` groups and no lookbehind, while
 * re2js accepts the first. Go stops at the first error, left to right: an error in the text before the
 * `(?<` wins, except "missing closing )", which only the cut itself causes.
 */
function angleGroupError(source: string, at: number): InvalidPatternError {
  try {
    RE2JS.compile(source.slice(0, at));
  } catch (err) {
    if (err instanceof RE2JSException && !err.message.includes('missing closing )')) {
      return new InvalidPatternError(source, err.message, err);
    }
  }
  return new InvalidPatternError(source, 'error parsing regexp: invalid or unsupported Perl syntax: `(?<`');
}

/** Where the first `(?<` that opens a group is (not escaped, quoted or in a class), or -1. */
function angleGroupAt(s: string): number {
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') i = skipEscape(s, i);
    else if (c === '[') i = skipClass(s, i);
    else if (c === '(' && s.startsWith('?<', i + 1)) return i;
    else i++;
  }
  return -1;
}

/** The index after the escape at `i`: `\Q…\E` quotes (outside classes), `\p{…}`/`\x{…}` run to their brace. */
function skipEscape(s: string, i: number, inClass = false): number {
  const next = s[i + 1];
  if (next === 'Q' && !inClass) {
    const end = s.indexOf('\\E', i + 2);
    return end < 0 ? s.length : end + 2;
  }
  if ((next === 'p' || next === 'P' || next === 'x') && s[i + 2] === '{') {
    const end = s.indexOf('}', i + 3);
    return end < 0 ? s.length : end + 1;
  }
  return i + 2;
}

/** The index after the class opened at `i` (a leading `]` is literal, `[:name:]` is one item). */
function skipClass(s: string, i: number): number {
  let j = i + 1;
  if (s[j] === '^') j++;
  if (s[j] === ']') j++;
  while (j < s.length && s[j] !== ']') {
    if (s[j] === '\\') j = skipEscape(s, j, true);
    else if (s.startsWith('[:', j) && s.indexOf(':]', j + 2) >= 0) j = s.indexOf(':]', j + 2) + 2;
    else j++;
  }
  return j + 1;
}
