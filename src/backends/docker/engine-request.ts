/**
 * Turning a `Message<DockerArgs>` into an HTTP call on the daemon (op → ROUTES row → method + path),
 * and the daemon's answers back into reply args: `set`, `ack` headers, or `error` keeping dockerd's
 * exact message and status.
 * @module
 */
import { Duplex, type Readable } from 'node:stream';
import type { ErrorArgs } from '../../actors/message.js';
import { ErrorCode, type ErrorCodeValue, SwarmError } from '../../errors.js';
import { type DockerArgs, type Route, routeFor } from './api.js';
import { isCanonicalPath } from './http-path.js';

/** A call ready for the engine client. */
export interface PlannedCall {
  route: Route;
  method: string;
  path: string;
  query: Record<string, string>;
  /** The query as sent: every value of a repeated key ({@link DockerArgs.repeated}), in order. */
  search: [string, string][];
  /** The request headers the row carries, as the client sent them. */
  headers: Record<string, string | string[]>;
  body: unknown;
}

function bad(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, message);
}

/** Validates `args` and fills the route's path; throws InvalidArgument with a clear message. */
export function planCall(args: unknown): PlannedCall {
  if (typeof args !== 'object' || args === null) throw bad('docker request args must be an object');
  const a = args as Partial<DockerArgs>;
  const route = routeFor(a.op, isObject(a.headers) ? a.headers : undefined);
  if (!route) throw bad(`unknown docker op ${JSON.stringify(a.op)}`);
  const query: Record<string, string> = {};
  if (a.query !== undefined && (typeof a.query !== 'object' || a.query === null))
    throw bad('query must be an object');
  const search: [string, string][] = [];
  for (const [k, v] of Object.entries(a.query ?? {})) {
    query[k] = String(v);
    // All values of a repeated key, unless a stage rewrote the key since (then its one value wins).
    const all = isObject(a.repeated) ? a.repeated[k] : undefined;
    if (Array.isArray(all) && all.length > 1 && String(all[0]) === query[k])
      for (const each of all) search.push([k, String(each)]);
    else search.push([k, query[k]]);
  }
  let path = route.path;
  if (path.includes('{')) {
    if (typeof a.id !== 'string' || a.id === '') throw bad(`${a.op} needs an id`);
    // References (`{ref*}`: image and plugin names) keep their slashes, as the docker CLI sends them;
    // any other id is one encoded segment (dockerd decodes `%2F` before routing: the same name).
    const id = path.includes('{ref*}')
      ? encodeURIComponent(a.id).replaceAll('%2F', '/')
      : encodeURIComponent(a.id);
    path = path.replace(/\{[a-z]+\*?\}/, id);
    // dockerd cleans the decoded path before routing: an id with a `.`/`..` or empty segment would
    // reach it as a request for some other path (`../../plugins/x`), never as this id.
    if (!isCanonicalPath(path)) {
      throw bad(
        `${a.op}: ${JSON.stringify(a.id)} is not a valid id or name: it has a ".", ".." or empty path segment`,
      );
    }
  }
  return {
    route,
    method: route.method === 'HEAD' && route.op === 'ping' ? 'GET' : route.method,
    path,
    query,
    search,
    headers: carried(route, a.headers),
    body: a.body,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Only the headers the row names pass (a stage cannot set `Host` or framing), as strings. */
function carried(route: Route, headers: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!isObject(headers)) return out;
  for (const name of route.headers ?? []) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
    else if (Array.isArray(v)) out[name] = v.map(String);
  }
  return out;
}

function codeForStatus(status: number): ErrorCodeValue {
  if (status === 404) return ErrorCode.NotFound;
  if (status === 409) return ErrorCode.Conflict;
  if (status === 400) return ErrorCode.InvalidArgument;
  return ErrorCode.Remote;
}

/** dockerd's error answer as ErrorArgs, with its exact message and status. */
export function httpErrorArgs(status: number, body: unknown): ErrorArgs {
  let message: string;
  if (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { message?: unknown }).message === 'string'
  ) {
    message = (body as { message: string }).message;
  } else if (Buffer.isBuffer(body) && body.length > 0) message = body.toString('utf8').trim();
  else message = `daemon answered ${status}`;
  return { message, status, code: codeForStatus(status) };
}

/** Statuses of failures that are not "could not reach the daemon" (502). A full stream budget is 503. */
const STATUS_OF_FAILURE: Partial<Record<string, number>> = {
  [ErrorCode.DeadlineExceeded]: 504,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.LimitReached]: 503,
};

/** A failure to talk to the daemon at all, as ErrorArgs (504 for a deadline, 503 for a full stream budget, 502 otherwise). */
export function failureErrorArgs(err: unknown, stage: string): ErrorArgs {
  if (err instanceof SwarmError) {
    const status = STATUS_OF_FAILURE[err.code] ?? 502;
    return { message: `${stage}: ${err.message}`, status, code: err.code };
  }
  return {
    message: `${stage}: ${(err as Error)?.message ?? String(err)}`,
    status: 500,
    code: ErrorCode.Remote,
  };
}

/**
 * Headers the front end sets itself (its own version and identity), or that frame the message: the
 * daemon's are not passed on. Everything else is (`Location` of a 301, `X-Docker-*`, `Upgrade`…).
 */
const OWN_HEADERS = new Set([
  'api-version',
  'docker-experimental',
  'ostype',
  'server',
  'date',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
]);

/** Canonical names already made (a daemon sends the same dozen header names on every answer). */
const CANONICAL = new Map<string, string>();

/** Go's canonical header key (`x-docker-container-path-stat` → `X-Docker-Container-Path-Stat`). */
function canonical(name: string): string {
  let c = CANONICAL.get(name);
  if (c === undefined) {
    c = name.replace(/(^|-)([a-z])/g, (_m, d: string, ch: string) => d + ch.toUpperCase());
    // Bounded: a daemon that invents header names cannot grow it without limit.
    if (CANONICAL.size < 256) CANONICAL.set(name, c);
  }
  return c;
}

/**
 * The daemon's response headers to pass on, in Go's canonical case. `Content-Type` only when the body
 * is passed as bytes (`withType`): a body a stage re-serialises gets the front end's own.
 */
export function passHeaders(headers: Record<string, string>, withType: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (OWN_HEADERS.has(k) || (k === 'content-type' && !withType)) continue;
    out[canonical(k)] = v;
  }
  return out;
}

/**
 * A response body as the read side of a Duplex (Message.stream is a Duplex). Writes are discarded;
 * destroying it destroys the body, which aborts the request and frees its socket.
 */
export function bodyAsDuplex(body: Readable): Duplex {
  const d = new Duplex({
    read() {
      body.resume();
    },
    write(_chunk, _enc, cb) {
      cb();
    },
    destroy(err, cb) {
      body.destroy();
      cb(err);
    },
  });
  body.on('data', (c: Buffer) => {
    if (!d.push(c)) body.pause();
  });
  body.once('end', () => d.push(null));
  body.once('error', (e) => d.destroy(e));
  return d;
}
