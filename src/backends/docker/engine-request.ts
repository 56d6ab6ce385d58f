/**
 * Turning a `Message<DockerArgs>` into an HTTP call on the daemon (op → ROUTES row → method + path),
 * and the daemon's answers back into reply args: `set`, `ack` headers, or `error` keeping dockerd's
 * exact message and status.
 * @module
 */
import { Duplex, type Readable } from 'node:stream';
import type { ErrorArgs } from '../../actors/message.js';
import { ErrorCode, type ErrorCodeValue, SwarmError } from '../../errors.js';
import { type DockerArgs, type DockerOp, ROUTES, type Route } from './api.js';
import { isCanonicalPath } from './http-path.js';

/** The route each op is sent on (the first row for it: `GET /_ping` rather than `HEAD`). */
const ROUTE_BY_OP = new Map<DockerOp, Route>();
for (const r of ROUTES) if (!ROUTE_BY_OP.has(r.op)) ROUTE_BY_OP.set(r.op, r);

/** A call ready for the engine client. */
export interface PlannedCall {
  route: Route;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

function bad(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, message);
}

/** Validates `args` and fills the route's path; throws InvalidArgument with a clear message. */
export function planCall(args: unknown): PlannedCall {
  if (typeof args !== 'object' || args === null) throw bad('docker request args must be an object');
  const a = args as Partial<DockerArgs>;
  const route = typeof a.op === 'string' ? ROUTE_BY_OP.get(a.op as DockerOp) : undefined;
  if (!route) throw bad(`unknown docker op ${JSON.stringify(a.op)}`);
  const query: Record<string, string> = {};
  if (a.query !== undefined && (typeof a.query !== 'object' || a.query === null))
    throw bad('query must be an object');
  for (const [k, v] of Object.entries(a.query ?? {})) query[k] = String(v);
  let path = route.path;
  if (path.includes('{')) {
    if (typeof a.id !== 'string' || a.id === '') throw bad(`${a.op} needs an id`);
    // Image names keep their slashes (`{name*}`); everything else is one path segment.
    const id = path.includes('{name*}')
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
    body: a.body,
  };
}

/** Extra time a stop/restart/kill may take: dockerd answers only after the container's grace period. */
export function graceMs(plan: PlannedCall): number {
  const t = Number(plan.query.t ?? plan.query.timeout ?? 10);
  return ['container.stop', 'container.restart'].includes(plan.route.op) && Number.isFinite(t)
    ? Math.max(0, t) * 1000
    : 0;
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

/** Response headers worth passing on: dockerd's `X-Docker-*` (archive stat) and, for streams, the type. */
export function passHeaders(headers: Record<string, string>, withType: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k.startsWith('x-docker-'))
      out[k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())] = v;
  }
  if (withType && headers['content-type']) out['Content-Type'] = headers['content-type'];
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
