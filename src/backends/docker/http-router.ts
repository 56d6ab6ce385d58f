/**
 * Maps an HTTP request line onto the {@link ROUTES} table: strips and checks the optional `/vX.Y`
 * prefix the way dockerd does, matches method and path, and decodes the `{id}` parameter and query.
 * Pure functions, no IO.
 * @module
 */

import { ROUTES, type Route } from './api.js';
import { type HttpError, httpError } from './http-errors.js';

/** The oldest API version dockerd 20.10 accepts; older prefixes get dockerd's 400. */
export const MIN_API_VERSION = '1.12';
/** The newest API version swarmd ever reports: what dockerd 20.10 speaks (docker-cli-wire.md §1). */
export const MAX_API_VERSION = '1.41';

/** A request resolved to a route. */
export interface MatchedRoute {
  route: Route;
  /** The decoded `{id}` / `{name*}` parameter, when the route has one. */
  id?: string;
  /** Query parameters as strings; the first value of a repeated key, as dockerd's `Form.Get` reads. */
  query: Record<string, string>;
  /** Every value of each key sent more than once, in order (dockerd's `Form[key]`). */
  repeated?: Record<string, string[]>;
  /** The `/vX.Y` prefix the client used, if any. */
  version?: string;
}

/** Compares two `major.minor` API versions numerically: negative, zero or positive. */
export function compareApiVersions(a: string, b: string): number {
  const [aMaj, aMin] = parsed(a);
  const [bMaj, bMin] = parsed(b);
  return aMaj - bMaj || aMin - bMin;
}

/** Versions already split (every request of a client names the same one); bounded. */
const PARSED = new Map<string, readonly [number, number]>();

function parsed(v: string): readonly [number, number] {
  let p = PARSED.get(v);
  if (p === undefined) {
    const [maj = 0, min = 0] = v.split('.').map(Number);
    p = [maj, min];
    if (PARSED.size < 64) PARSED.set(v, p);
  }
  return p;
}

/** The smaller of two API versions. */
export function minApiVersion(a: string, b: string): string {
  return compareApiVersions(a, b) <= 0 ? a : b;
}

/** True when `v` looks like an API version (`1.41`). */
export function isApiVersion(v: unknown): v is string {
  return typeof v === 'string' && /^\d+\.\d+$/.test(v);
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  hasParam: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// `{id}` is one path segment; `{name*}` is the rest (image names contain `/` and `:` unescaped, §5.8).
const COMPILED: CompiledRoute[] = ROUTES.map((route) => {
  let hasParam = false;
  const source = route.path
    .split(/(\{[a-z]+\*?\})/)
    .map((part) => {
      if (!part.startsWith('{')) return escapeRegExp(part);
      hasParam = true;
      return part.endsWith('*}') ? '(.+?)' : '([^/]+)';
    })
    .join('');
  return { route, pattern: new RegExp(`^${source}/?$`), hasParam };
});

// Per method, in table order (first match wins): a request tries the patterns of its method only.
const BY_METHOD = new Map<string, CompiledRoute[]>();
for (const c of COMPILED) {
  const list = BY_METHOD.get(c.route.method) ?? [];
  list.push(c);
  BY_METHOD.set(c.route.method, list);
}

/**
 * Resolves `method` + raw request `url` to a route, or returns the {@link HttpError} dockerd would send:
 * 400 for a too-new/too-old version prefix or a malformed escape, 404 `page not found` otherwise.
 * `maxVersion` is the version the front end reports.
 */
export function matchRoute(method: string, url: string, maxVersion: string): MatchedRoute | HttpError {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  const search = q < 0 ? '' : url.slice(q + 1);

  let version: string | undefined;
  const prefixed = /^\/v(\d+\.\d+)(\/.*)$/.exec(path);
  if (prefixed) {
    version = prefixed[1]!;
    path = prefixed[2]!;
    // The version the front end reports is the one clients use: no arithmetic for it.
    if (version !== maxVersion && compareApiVersions(version, maxVersion) > 0) {
      return httpError(
        400,
        `client version ${version} is too new. Maximum supported API version is ${maxVersion}`,
      );
    }
    if (compareApiVersions(version, MIN_API_VERSION) < 0) {
      return httpError(
        400,
        `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
      );
    }
  }

  for (const { route, pattern, hasParam } of BY_METHOD.get(method) ?? []) {
    const m = pattern.exec(path);
    if (!m) continue;
    const query: Record<string, string> = {};
    let repeated: Record<string, string[]> | undefined;
    // defineProperty, not `query[k] = v`: assigning a `__proto__` key hits the prototype setter and
    // the parameter silently vanished from the forwarded query (found by test/dockerserver/fuzz.test.ts).
    for (const [k, v] of new URLSearchParams(search)) {
      if (!Object.hasOwn(query, k)) define(query, k, v);
      else {
        repeated ??= {};
        if (Object.hasOwn(repeated, k)) repeated[k]!.push(v);
        else define(repeated, k, [query[k]!, v]);
      }
    }
    const matched: MatchedRoute = { route, query };
    if (repeated) matched.repeated = repeated;
    if (version !== undefined) matched.version = version;
    if (hasParam) {
      try {
        matched.id = decodeURIComponent(m[1]!);
      } catch {
        return httpError(400, `malformed percent-encoding in path: ${path}`);
      }
    }
    return matched;
  }
  return httpError(404, 'page not found');
}

/** `obj[k] = v` that also works for `__proto__`. */
function define<T>(obj: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** True when `matchRoute` returned an error rather than a route. */
export function isHttpError(v: MatchedRoute | HttpError): v is HttpError {
  return 'status' in v;
}

/**
 * {@link matchRoute} under the name the front end uses: every operation of the Engine API has a row,
 * so a path that matches none is dockerd's own `404 page not found`.
 */
export const resolveRoute = matchRoute;
