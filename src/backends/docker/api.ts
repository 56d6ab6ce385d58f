/**
 * The Docker Engine API as structured verb messages: the one table both the HTTP front end
 * (dockerserver) and the HTTP back end (dockerclient) use, and that any stage in between (simulator,
 * aggregate, debug) reads. A request is `Message<DockerArgs>` with the verb from {@link ROUTES}; the
 * reply is a `set` (a complete JSON answer), an `ack` carrying a byte stream (attach, exec start, logs,
 * events, stats stream, wait, archive get), or an `error` ({@link ErrorArgs} with an HTTP status).
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Verb } from '../../actors/message.js';
import { type ReplyTo, replyOnce } from '../../actors/reply.js';

/** Every Docker operation swarmd understands. */
export type DockerOp =
  | 'ping'
  | 'version'
  | 'info'
  | 'events'
  | 'system.df'
  | 'container.list'
  | 'container.create'
  | 'container.inspect'
  | 'container.start'
  | 'container.stop'
  | 'container.restart'
  | 'container.kill'
  | 'container.remove'
  | 'container.wait'
  | 'container.attach'
  | 'container.resize'
  | 'container.logs'
  | 'container.top'
  | 'container.stats'
  | 'container.rename'
  | 'container.pause'
  | 'container.unpause'
  | 'container.archive.stat'
  | 'container.archive.get'
  | 'container.archive.put'
  | 'container.prune'
  | 'container.exec'
  | 'exec.start'
  | 'exec.inspect'
  | 'exec.resize'
  | 'image.list'
  | 'image.inspect'
  | 'image.create';

/** The `args` of a Docker request message. */
export interface DockerArgs {
  op: DockerOp;
  /** The `{id}` path parameter exactly as the client sent it: a name, a full id or an id prefix. */
  id?: string;
  /** Query parameters as strings, as on the wire (filters stay URL-decoded JSON text). */
  query: Record<string, string>;
  /** The parsed JSON request body, when the route has one. */
  body?: unknown;
}

/**
 * The `args` of a `set` reply: a complete answer. `body` is either a JSON value or bytes; bytes whose
 * `Content-Type` header is JSON are a JSON document kept as the daemon sent it, so a chain that only
 * passes the answer on never parses and re-serialises it. Stages that read a body use {@link resultBody}.
 */
export interface DockerResult {
  status: number;
  /** A JSON value, or bytes (see `Content-Type`); `undefined` for empty (204) answers. */
  body?: unknown;
  /** Extra response headers that matter to the client (e.g. `X-Docker-Container-Path-Stat`). */
  headers?: Record<string, string>;
}

/** The `Content-Type` of a result, whatever the header's case. */
function contentType(headers: Record<string, string> | undefined): string {
  if (!headers) return '';
  for (const k in headers) if (k.toLowerCase() === 'content-type') return headers[k] ?? '';
  return '';
}

/** `result` with its body as a value ({@link resultBody}); the same object when it already was one. */
export function withParsedBody(result: DockerResult): DockerResult {
  const body = resultBody(result);
  return body === result.body ? result : { ...result, body };
}

/**
 * A result's body as a value: JSON bytes are parsed (text that does not parse stays bytes: dockerd
 * sometimes labels plain text as JSON); a value or other bytes are returned as they are.
 */
export function resultBody(result: DockerResult): unknown {
  const { body } = result;
  if (!(body instanceof Uint8Array) || !contentType(result.headers).includes('json')) return body;
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return body;
  }
}

/** The `args` of an `ack` reply whose message carries a byte stream. */
export interface DockerStreamResult {
  status: number;
  headers: Record<string, string>;
  /** `raw-stream` = hijacked (101 upgrade); `chunked` = an HTTP response body streamed as it comes. */
  mode: 'raw-stream' | 'chunked';
}

/** Answers a Docker request with a complete result (`set`) and finishes it ({@link replyOnce}). */
export function replySet(to: ReplyTo, result: DockerResult): void {
  void replyOnce(to, { verb: 'set', args: result });
}

/** Answers a Docker request with a stream (`ack` carrying it) and finishes it ({@link replyOnce}). */
export function replyStream(to: ReplyTo, result: DockerStreamResult, stream: Duplex): void {
  void replyOnce(to, { verb: 'ack', args: result, stream });
}

/** One row of the route table. */
export interface Route {
  op: DockerOp;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /** Path after the optional `/vX.Y` prefix; `{id}` matches one segment, `{name*}` the rest. */
  path: string;
  verb: Verb;
  /** The route replies with a stream (an `ack` carrying one) rather than a `set`. */
  streams?: boolean;
}

/** The route table, most specific first. */
export const ROUTES: readonly Route[] = [
  { op: 'ping', method: 'GET', path: '/_ping', verb: 'get' },
  { op: 'ping', method: 'HEAD', path: '/_ping', verb: 'get' },
  { op: 'version', method: 'GET', path: '/version', verb: 'get' },
  { op: 'info', method: 'GET', path: '/info', verb: 'get' },
  { op: 'events', method: 'GET', path: '/events', verb: 'watch', streams: true },
  { op: 'system.df', method: 'GET', path: '/system/df', verb: 'get' },
  { op: 'container.list', method: 'GET', path: '/containers/json', verb: 'ls' },
  { op: 'container.create', method: 'POST', path: '/containers/create', verb: 'spawn' },
  { op: 'container.prune', method: 'POST', path: '/containers/prune', verb: 'prune' },
  { op: 'container.inspect', method: 'GET', path: '/containers/{id}/json', verb: 'get' },
  { op: 'container.start', method: 'POST', path: '/containers/{id}/start', verb: 'start' },
  { op: 'container.stop', method: 'POST', path: '/containers/{id}/stop', verb: 'stop' },
  { op: 'container.restart', method: 'POST', path: '/containers/{id}/restart', verb: 'restart' },
  { op: 'container.kill', method: 'POST', path: '/containers/{id}/kill', verb: 'kill' },
  { op: 'container.remove', method: 'DELETE', path: '/containers/{id}', verb: 'remove' },
  { op: 'container.wait', method: 'POST', path: '/containers/{id}/wait', verb: 'wait', streams: true },
  { op: 'container.attach', method: 'POST', path: '/containers/{id}/attach', verb: 'attach', streams: true },
  { op: 'container.resize', method: 'POST', path: '/containers/{id}/resize', verb: 'resize' },
  { op: 'container.logs', method: 'GET', path: '/containers/{id}/logs', verb: 'logs', streams: true },
  { op: 'container.top', method: 'GET', path: '/containers/{id}/top', verb: 'top' },
  { op: 'container.stats', method: 'GET', path: '/containers/{id}/stats', verb: 'stats', streams: true },
  { op: 'container.rename', method: 'POST', path: '/containers/{id}/rename', verb: 'rename' },
  { op: 'container.pause', method: 'POST', path: '/containers/{id}/pause', verb: 'pause' },
  { op: 'container.unpause', method: 'POST', path: '/containers/{id}/unpause', verb: 'unpause' },
  { op: 'container.archive.stat', method: 'HEAD', path: '/containers/{id}/archive', verb: 'archive' },
  {
    op: 'container.archive.get',
    method: 'GET',
    path: '/containers/{id}/archive',
    verb: 'archive',
    streams: true,
  },
  { op: 'container.archive.put', method: 'PUT', path: '/containers/{id}/archive', verb: 'archive' },
  { op: 'container.exec', method: 'POST', path: '/containers/{id}/exec', verb: 'exec' },
  { op: 'exec.start', method: 'POST', path: '/exec/{id}/start', verb: 'exec', streams: true },
  { op: 'exec.inspect', method: 'GET', path: '/exec/{id}/json', verb: 'get' },
  { op: 'exec.resize', method: 'POST', path: '/exec/{id}/resize', verb: 'resize' },
  { op: 'image.list', method: 'GET', path: '/images/json', verb: 'ls' },
  { op: 'image.create', method: 'POST', path: '/images/create', verb: 'spawn', streams: true },
  { op: 'image.inspect', method: 'GET', path: '/images/{name*}/json', verb: 'get' },
];
