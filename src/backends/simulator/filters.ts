/**
 * Docker `filters` query values (URL-decoded JSON `{"key":{"value":true}}`, or the legacy
 * `{"key":["value"]}`) and dockerd's matching rules: regex `Match` (name, id), `ExactMatch`
 * (status, type, event), `FuzzyMatch` (exact or prefix: events' container) and `MatchKVList` (labels).
 * @module
 */
import { dockerMatch } from '../patterns.js';
import { badRequest } from './engine-errors.js';

/** Parsed filters: key → values, in the order given. */
export type Filters = Map<string, string[]>;

/** Parses a `filters` query value; empty or missing → no filters. Bad JSON or shape → 400. */
export function parseFilters(text: string | undefined): Filters {
  const out: Filters = new Map();
  if (text === undefined || text.trim() === '') return out;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw badRequest(`invalid filter: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw badRequest('invalid filter: expected a JSON object of key → {value: true}');
  }
  for (const [key, values] of Object.entries(raw)) {
    if (Array.isArray(values) && values.every((v) => typeof v === 'string')) out.set(key, [...values]);
    else if (typeof values === 'object' && values !== null && !Array.isArray(values)) {
      if (!Object.values(values).every((v) => typeof v === 'boolean')) {
        throw badRequest(`invalid filter: values of '${key}' must be booleans`);
      }
      out.set(key, Object.keys(values));
    } else throw badRequest(`invalid filter: '${key}' must map values to true`);
  }
  return out;
}

/**
 * dockerd `Match`: no values → true; else some value equals `source` or, as a Go regular expression
 * (linear-time, see `patterns.ts`), matches it. A value Go cannot compile is skipped, as dockerd does.
 */
export function regexMatch(filters: Filters, key: string, source: string): boolean {
  return dockerMatch(filters.get(key), source);
}

/** dockerd `ExactMatch`: no values → true; else `source` is one of them. */
export function exactMatch(filters: Filters, key: string, source: string): boolean {
  const values = filters.get(key);
  return !values || values.length === 0 || values.includes(source);
}

/** dockerd `FuzzyMatch`: no values → true; else some value equals or prefixes `source`. */
export function fuzzyMatch(filters: Filters, key: string, source: string): boolean {
  const values = filters.get(key);
  return !values || values.length === 0 || values.some((v) => source.startsWith(v));
}

/** dockerd `MatchKVList`: every `k` or `k=v` value must be satisfied by `labels`. */
export function labelMatch(filters: Filters, key: string, labels: Record<string, string>): boolean {
  const values = filters.get(key);
  if (!values) return true;
  return values.every((v) => {
    const eq = v.indexOf('=');
    if (eq < 0) return Object.hasOwn(labels, v);
    const k = v.slice(0, eq);
    return Object.hasOwn(labels, k) && labels[k] === v.slice(eq + 1);
  });
}
