/**
 * The Docker Engine API as structured verb messages: the one table both the HTTP front end
 * (dockerserver) and the HTTP back end (dockerclient) use, and that any stage in between (simulator,
 * aggregate, debug) reads. A request is `Message<DockerArgs>` with the verb from {@link ROUTES}; the
 * reply is a `set` (a complete JSON answer), an `ack` carrying a byte stream (attach, exec start, logs,
 * events, stats stream, wait, archive get), or an `error` ({@link ErrorArgs} with an HTTP status).
 * @module
 */
import type { Duplex } from 'node:stream';
import { type ReplyTo, replyOnce } from '../../actors/reply.js';
import type { DockerOp } from './routes/index.js';

/** The `args` of a Docker request message. */
export interface DockerArgs {
  op: DockerOp;
  /** The `{id}` path parameter exactly as the client sent it: a name, a full id or an id prefix. */
  id?: string;
  /**
   * Query parameters as strings, as on the wire (filters stay URL-decoded JSON text). A key sent more
   * than once keeps its first value here (what dockerd's `Form.Get` reads, so every stage reads one
   * string); {@link DockerArgs.repeated} has all of them.
   */
  query: Record<string, string>;
  /**
   * Every value of each query key the client sent more than once, in order (`changes=a&changes=b`,
   * build's `t=x&t=y`). dockerclient sends all of them while `query[key]` is still the first one; a
   * stage that rewrites `query[key]` replaces them all.
   */
  repeated?: Record<string, string[]>;
  /** The request headers the route carries ({@link Route.headers}), lower-case names. */
  headers?: Record<string, string | string[]>;
  /** The parsed JSON request body, when the route has one. */
  body?: unknown;
  /**
   * Who the client is, as the front door that took the request names it (dockerserver's `--identity`,
   * or its verified TLS client certificate's CN: docker/http-identity.ts). Set only there, never from
   * anything the client sends; the policy's `--own` keeps each identity to its own containers.
   */
  identity?: string;
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

export {
  type AnswerTransport,
  type DockerOp,
  type FanOut,
  graceMs,
  isUpload,
  type RequestTransport,
  ROUTE_BY_OP,
  ROUTES,
  type Route,
  type RouteObject,
  routeFor,
  routeOf,
} from './routes/index.js';
