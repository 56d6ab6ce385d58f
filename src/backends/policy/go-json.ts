/**
 * JSON as Go's `encoding/json` reads it. `JSON.parse` keeps one value per exact key and so loses what
 * dockerd acts on: every member in document order (dockerd folds `privileged` onto `Privileged`, and
 * the last member for a field wins, merging objects into the field's existing value). This module
 * keeps objects as ordered member lists, from bytes or from a JS value, and folds keys as Go does.
 * @module
 */

/** An object with every member, duplicates included, in document order. */
export interface GoObject {
  readonly kind: 'object';
  readonly members: ReadonlyArray<readonly [string, GoJson]>;
}

/** A JSON value with objects kept as {@link GoObject}s. */
export type GoJson = null | boolean | number | string | GoJson[] | GoObject;

/** True for a {@link GoObject}. */
export function isGoObject(v: GoJson | undefined): v is GoObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Why a body is not JSON a Go decoder would accept. */
export class GoJsonError extends Error {}

/** Deepest nesting accepted (dockerserver refuses deeper bodies before they reach a stage). */
export const MAX_DEPTH = 512;

/**
 * Go's key folding for matching struct fields: ASCII letters case-insensitively, and the two
 * non-ASCII runes whose simple fold reaches an ASCII letter: U+017F (long s) and U+212A (Kelvin sign).
 * Two keys match a field alike when their folds are equal (Go 1.19's `equalFoldRight` and Go 1.21's
 * `foldName` agree on this for ASCII field names, which every Docker field name is).
 */
export function goFold(key: string): string {
  let out = '';
  for (const ch of key) {
    if (ch === '\u017f') out += 'S';
    else if (ch === '\u212a') out += 'K';
    else if (ch >= 'a' && ch <= 'z') out += ch.toUpperCase();
    else out += ch;
  }
  return out;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `s` with lone surrogates as U+FFFD, as Go's unquote leaves an unpaired `\\uD800`. */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/** Parses JSON text (one value, whitespace around it) into a {@link GoJson}. Throws {@link GoJsonError}. */
export function parseGoJson(text: string, opts: { trailing?: 'reject' | 'ignore' } = {}): GoJson {
  let i = 0;
  const fail = (what: string): never => {
    throw new GoJsonError(`invalid JSON at offset ${i}: ${what}`);
  };
  const skip = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const str = (): string => {
    // Find the closing quote; JSON.parse decodes the escapes (the same set as Go's). Lone surrogates
    // become U+FFFD as Go's unquote makes them.
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      i += c === 0x5c ? 2 : 1;
    }
    i++;
    try {
      return wellFormed(JSON.parse(text.slice(start, i)) as string);
    } catch (err) {
      return fail((err as Error).message);
    }
  };
  const value = (depth: number): GoJson => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const members: [string, GoJson][] = [];
      skip();
      if (text[i] === '}') {
        i++;
        return { kind: 'object', members };
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected a string key');
        const k = str();
        skip();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        members.push([k, value(depth + 1)]);
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return { kind: 'object', members };
        }
        fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const items: GoJson[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return items;
      }
      for (;;) {
        items.push(value(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return items;
        }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail(`unexpected ${c === undefined ? 'end of input' : JSON.stringify(c)}`);
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(0);
  skip();
  // dockerd 20.10's decoder reads one value and ignores what follows; a checker must not guess which
  // reader comes next, so trailing bytes are refused unless the caller knows they are ignored.
  if (i < text.length && opts.trailing !== 'ignore') fail('unexpected content after the JSON value');
  return v;
}

/** Decodes UTF-8 bytes (invalid sequences become U+FFFD, as Go does) and parses them. */
export function parseGoJsonBytes(bytes: Uint8Array, opts?: { trailing?: 'reject' | 'ignore' }): GoJson {
  return parseGoJson(new TextDecoder('utf-8', { fatal: false }).decode(bytes), opts);
}

/**
 * A JS value (what `JSON.parse` or the CBOR codec produced) as the JSON `JSON.stringify` would write
 * for it: members in property order, which is the order a later stage serialises them in. Values
 * that do not serialise as themselves (functions, Maps, Dates, `toJSON`, non-finite numbers, cycles)
 * throw {@link GoJsonError}: a body the policy cannot read as the daemon will is refused.
 */
export function goJsonFromValue(v: unknown, depth = 0): GoJson {
  if (depth > MAX_DEPTH) throw new GoJsonError(`nested deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new GoJsonError(`${v} is not a JSON number`);
    return v;
  }
  if (Array.isArray(v)) return v.map((x) => goJsonFromValue(x, depth + 1));
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (
      (proto !== Object.prototype && proto !== null) ||
      typeof (v as { toJSON?: unknown }).toJSON === 'function'
    )
      throw new GoJsonError('the body is not plain JSON data');
    const members: [string, GoJson][] = [];
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue; // JSON.stringify skips them
      members.push([k, goJsonFromValue(x, depth + 1)]);
    }
    return { kind: 'object', members };
  }
  throw new GoJsonError(`a ${typeof v} is not JSON`);
}

/** The body of a request as a {@link GoJson}: bytes are parsed, a value is read in property order. */
export function goJsonOfBody(body: unknown): GoJson | undefined {
  if (body === undefined) return undefined;
  if (body instanceof Uint8Array) {
    if (/^[ \t\r\n]*$/.test(Buffer.from(body).toString('latin1'))) return undefined;
    return parseGoJsonBytes(body);
  }
  return goJsonFromValue(body);
}
