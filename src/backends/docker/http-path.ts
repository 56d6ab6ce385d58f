/**
 * Request paths as dockerd's router sees them. dockerd (gorilla/mux without `SkipClean`) decodes the
 * path (`%2F` becomes `/`, `%2E` becomes `.`), cleans the decoded path (`..`, `.`, `//`) and, when
 * cleaning changed it, answers `301 Moved Permanently` with the cleaned path as `Location`, before
 * any route or version check. Matching that here keeps `..` from ever reaching a stage as part of an
 * id, where a back end rebuilding the path would send a different request than the one the client
 * made (`/images/..%2F..%2Fplugins%2Fx/json` arrived at a daemon as `/images/../../plugins/x/json`).
 * @module
 */
import { posix } from 'node:path';

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Percent-decodes a path to bytes as Go's `url.PathUnescape` does (a `+` stays a `+`), or returns
 * `undefined` for a malformed escape (Go's server answers those with a plain `400 Bad Request`).
 */
export function decodePathBytes(path: string): Buffer | undefined {
  if (!path.includes('%')) return Buffer.from(path, 'utf8');
  const out: Buffer[] = [];
  let from = 0;
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', from)) {
    const hex = path.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return undefined;
    out.push(Buffer.from(path.slice(from, i), 'utf8'), Buffer.from([Number.parseInt(hex, 16)]));
    from = i + 3;
  }
  out.push(Buffer.from(path.slice(from), 'utf8'));
  return Buffer.concat(out);
}

/** gorilla/mux's `cleanPath`: a leading `/`, `path.Clean`, and a trailing `/` kept when there was one. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  const rooted = p.startsWith('/') ? p : `/${p}`;
  let cleaned = posix.normalize(rooted);
  // path.Clean drops a trailing slash (normalize keeps it) and maps `//x` to `/x` (normalize does too).
  if (cleaned.length > 1 && cleaned.endsWith('/')) cleaned = cleaned.slice(0, -1);
  if (rooted.endsWith('/') && cleaned !== '/') cleaned += '/';
  return cleaned;
}

// Go's `shouldEscape(c, encodePath)`: unreserved and `$&+,/:;=@` stay, everything else is escaped.
const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;

/** Go's `url.EscapedPath` for a path that has no valid raw form: every other byte as `%XX`, upper case. */
export function escapePathBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && PATH_SAFE.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A path that cleaning cannot change: rooted, no `%`, no `//`, no `.`/`..` segment (a trailing `/` is kept). */
const PLAIN_PATH = /^(?:\/(?!\.\.?(?:\/|$))[^/%]+)+\/?$/;
const OK: PathCheck = { kind: 'ok' };

/** What dockerd's router makes of a request target before routing. */
export type PathCheck =
  | { kind: 'ok' }
  | { kind: 'malformed' }
  /** dockerd's `301` with this `Location` (cleaned path, query kept as sent). */
  | { kind: 'redirect'; location: string };

/** Checks a raw request target (`/v1.41/images/x/json?a=b`) the way dockerd's router does first. */
export function checkRequestPath(url: string): PathCheck {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  // The common case, checked without decoding: nothing escaped, no empty, `.` or `..` segment.
  if (PLAIN_PATH.test(raw)) return OK;
  const bytes = decodePathBytes(raw);
  if (!bytes) return { kind: 'malformed' };
  // Go compares and cleans byte strings; latin1 maps each byte to one char and back without loss.
  const decoded = bytes.toString('latin1');
  const cleaned = cleanPath(decoded);
  if (cleaned === decoded) return { kind: 'ok' };
  const query = q < 0 ? '' : url.slice(q);
  return { kind: 'redirect', location: `${escapePathBytes(Buffer.from(cleaned, 'latin1'))}${query}` };
}

/** True when `path` (already percent-encoded) is one dockerd routes as it is, without a redirect. */
export function isCanonicalPath(path: string): boolean {
  return checkRequestPath(path).kind === 'ok';
}
