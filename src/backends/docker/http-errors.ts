/**
 * Docker-style error answers at the HTTP edge: `{"message": …}` with `Content-Type: application/json`
 * exactly (the docker CLI prints the raw body for any other type, docker-cli-wire.md §5.1), and the
 * mapping from stage errors (ErrorArgs, SwarmError codes) to HTTP statuses.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { ErrorArgs } from '../../actors/message.js';
import { ErrorCode, type ErrorCodeValue, type SwarmError } from '../../errors.js';

/** The only Content-Type the docker CLI accepts for error bodies. No charset. */
export const JSON_CONTENT_TYPE = 'application/json';

/** HTTP status for each SwarmError code a stage may reply with when it gave no explicit status. */
const STATUS_BY_CODE: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.InvalidArgument]: 400,
  [ErrorCode.DeadlineExceeded]: 504,
  [ErrorCode.NotImplemented]: 501,
  [ErrorCode.NodeDown]: 503,
  [ErrorCode.ConnectionLost]: 502,
  [ErrorCode.InvalidPattern]: 400,
  [ErrorCode.Unauthenticated]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.LimitReached]: 503,
  [ErrorCode.ActorStopped]: 503,
};

/** An error ready for the HTTP edge: a status and the text for `{"message": …}`. */
export interface HttpError {
  status: number;
  message: string;
}

/** Builds an {@link HttpError}. */
export function httpError(status: number, message: string): HttpError {
  return { status, message };
}

/** The status for an `error` reply: its own `status` when valid, else one derived from `code`, else 500. */
export function statusOfErrorArgs(args: ErrorArgs): number {
  if (typeof args.status === 'number' && args.status >= 400 && args.status <= 599) return args.status;
  const byCode = args.code === undefined ? undefined : STATUS_BY_CODE[args.code as ErrorCodeValue];
  return byCode ?? 500;
}

/**
 * The HTTP status a Docker front end should use for a SwarmError: its explicit `details.status`, else
 * the mapping of its code above (for a stage that names the status in its own `error` replies).
 */
export function statusOf(err: SwarmError): number {
  const explicit = err.details?.status;
  if (typeof explicit === 'number') return explicit;
  return statusOfErrorArgs({ message: err.message, code: err.code });
}

/** Reads an `error` reply's args defensively (a stage may send anything). */
export function errorArgsToHttp(args: unknown): HttpError {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Partial<ErrorArgs>;
  const message = typeof a.message === 'string' && a.message !== '' ? a.message : 'unknown error from stage';
  return { status: statusOfErrorArgs({ ...a, message }), message };
}

/** The serialised body of a Docker error: `{"message":"…"}` plus dockerd's trailing newline. */
export function errorBody(message: string): string {
  return `${JSON.stringify({ message })}\n`;
}

/**
 * Answers `res` with a Docker error unless headers already went out (then the only honest thing left
 * is to cut the connection, so the client sees a truncated stream rather than a fake success).
 */
export function writeHttpError(res: ServerResponse, err: HttpError, extraHeaders?: Record<string, string>) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(err.message);
  res.writeHead(err.status, {
    ...extraHeaders,
    'Content-Type': JSON_CONTENT_TYPE,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
