/**
 * Decoding a {@link GoJson} into a typed value exactly as Go's `encoding/json` (Go 1.19, dockerd 20.10)
 * fills a struct: a member matches a field by exact name, else by {@link goFold}; members apply in
 * document order, so the last one wins; an object decodes *into* the field's current value (structs
 * and maps merge, a slice reuses its elements up to its capacity); `null` clears pointers, maps,
 * slices and interfaces and leaves everything else alone; a wrong type is an error (dockerd's 400).
 * Only the fields a rule reads are modelled: Go ignores unknown members, and so does this.
 * @module
 */
import { type GoJson, goFold, isGoObject } from './go-json.js';

/** The Go type of a field, as far as the policy needs it. */
export type GoType =
  | { readonly t: 'struct'; readonly fields: Readonly<Record<string, GoType>>; readonly ptr?: boolean }
  | { readonly t: 'map'; readonly of: GoType }
  | { readonly t: 'slice'; readonly of: GoType }
  /** docker's `strslice.StrSlice`: a string or an array of strings (its own UnmarshalJSON). */
  | { readonly t: 'strslice' }
  | { readonly t: 'string' }
  | { readonly t: 'bool' }
  | { readonly t: 'number' }
  /** `interface{}`: kept as the JSON it was. */
  | { readonly t: 'any' };

/** A value Go would refuse to decode (dockerd answers 400 and does nothing). */
export class GoDecodeError extends Error {}

/** A decoded struct: canonical field names; a pointer field never set is absent. */
export type GoStruct = { [field: string]: unknown };

// A slice's backing array outlives its length: Go 1.19 decodes a later array into the elements still
// there (len ≤ i < cap), so they are kept until decoding ends.
class Slice {
  constructor(
    public items: unknown[],
    public len: number,
  ) {}
}

const folded = new WeakMap<object, Map<string, string>>();

function fieldFor(fields: Readonly<Record<string, GoType>>, key: string): string | undefined {
  if (Object.hasOwn(fields, key)) return key;
  let byFold = folded.get(fields);
  if (!byFold) {
    byFold = new Map(Object.keys(fields).map((f) => [goFold(f), f]));
    folded.set(fields, byFold);
  }
  return byFold.get(goFold(key));
}

function typeName(v: GoJson): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return isGoObject(v) ? 'object' : typeof v;
}

function mismatch(v: GoJson, want: string, path: string): never {
  throw new GoDecodeError(`json: cannot unmarshal ${typeName(v)} into ${path || 'the body'} of type ${want}`);
}

function decodeInto(type: GoType, v: GoJson, current: unknown, path: string): unknown {
  if (v === null) {
    // null clears what can be nil and is ignored by everything else.
    if ((type.t === 'struct' && type.ptr) || type.t === 'map' || type.t === 'slice' || type.t === 'any')
      return undefined;
    if (type.t === 'strslice') return [];
    return current;
  }
  switch (type.t) {
    case 'string':
      return typeof v === 'string' ? v : mismatch(v, 'string', path);
    case 'bool':
      return typeof v === 'boolean' ? v : mismatch(v, 'bool', path);
    case 'number':
      return typeof v === 'number' ? v : mismatch(v, 'number', path);
    case 'any':
      return v;
    case 'strslice':
      if (typeof v === 'string') return [v];
      if (Array.isArray(v) && v.every((x) => typeof x === 'string' || x === null))
        return v.map((x) => x ?? '');
      return mismatch(v, 'strslice.StrSlice', path);
    case 'struct': {
      if (!isGoObject(v)) return mismatch(v, 'struct', path);
      const into = (current && typeof current === 'object' ? current : Object.create(null)) as GoStruct;
      for (const [k, x] of v.members) {
        const f = fieldFor(type.fields, k);
        if (f === undefined) continue;
        const next = decodeInto(type.fields[f]!, x, into[f], path ? `${path}.${f}` : f);
        if (next === undefined) delete into[f];
        else into[f] = next;
      }
      return into;
    }
    case 'map': {
      if (!isGoObject(v)) return mismatch(v, 'map', path);
      const into = (current && typeof current === 'object' ? current : Object.create(null)) as GoStruct;
      // Each element is decoded into a fresh zero value, then stored: map entries replace, not merge.
      for (const [k, x] of v.members) {
        const el = decodeInto(type.of, x, undefined, `${path}[${JSON.stringify(k)}]`);
        into[k] = el === undefined ? zero(type.of) : el;
      }
      return into;
    }
    case 'slice': {
      if (!Array.isArray(v)) return mismatch(v, 'slice', path);
      if (v.length === 0) return new Slice([], 0);
      const s = current instanceof Slice ? current : new Slice([], 0);
      let items = s.items;
      let len = s.len;
      v.forEach((x, i) => {
        if (i >= items.length) {
          // Go grows to cap + cap/2 (at least 4), copying only the first len elements.
          const grown = new Array(Math.max(4, items.length + (items.length >> 1)));
          for (let j = 0; j < len; j++) grown[j] = items[j];
          items = grown;
        }
        if (i >= len) len = i + 1;
        const el = decodeInto(type.of, x, items[i], `${path}[${i}]`);
        items[i] = el === undefined ? zero(type.of) : el;
      });
      return new Slice(items, v.length);
    }
  }
}

function zero(type: GoType): unknown {
  if (type.t === 'string') return '';
  if (type.t === 'bool') return false;
  if (type.t === 'number') return 0;
  if (type.t === 'struct' && !type.ptr) return Object.create(null);
  return undefined;
}

// Slices become plain arrays of their first len elements, and zero structs are filled in.
function finish(v: unknown): unknown {
  if (v instanceof Slice) return v.items.slice(0, v.len).map((x) => finish(x));
  if (Array.isArray(v)) return v.map(finish);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === null) {
    const out: GoStruct = Object.create(null);
    for (const [k, x] of Object.entries(v)) out[k] = finish(x);
    return out;
  }
  return v;
}

/**
 * Decodes `json` into a fresh value of `type` the way dockerd's `json.Decoder` does, or throws
 * {@link GoDecodeError} naming the field and the type Go would refuse.
 */
export function goDecode(type: GoType, json: GoJson): GoStruct {
  const v = finish(decodeInto(type, json, undefined, ''));
  if (v === undefined) return Object.create(null) as GoStruct;
  return v as GoStruct;
}
