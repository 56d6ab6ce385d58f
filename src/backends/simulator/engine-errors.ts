/**
 * Engine errors with dockerd's exact text and HTTP status. The simulator answers with them through
 * the runtime's `replyError` (`{message, code, status}`); {@link asEngineError} makes anything else a 500.
 * @module
 */
import { ErrorCode, type ErrorCodeValue, SwarmError } from '../../errors.js';

/** A SwarmError that also carries the HTTP status dockerd would answer with. */
export class EngineError extends SwarmError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(codeFor(status), message, { details: { status } });
    this.status = status;
  }
}

function codeFor(status: number): ErrorCodeValue {
  if (status === 404) return ErrorCode.NotFound;
  if (status === 409) return ErrorCode.Conflict;
  if (status === 400) return ErrorCode.InvalidArgument;
  if (status === 501) return ErrorCode.NotImplemented;
  return ErrorCode.Remote;
}

/** `404 No such container: <ref>` exactly as dockerd words it. */
export function noSuchContainer(ref: string): EngineError {
  return new EngineError(404, `No such container: ${ref}`);
}

/** `400 <message>` (bad parameters). */
export function badRequest(message: string): EngineError {
  return new EngineError(400, message);
}

/** `409 <message>` (conflicts with the object's state). */
export function conflict(message: string): EngineError {
  return new EngineError(409, message);
}

/**
 * `err` as the engine answers it: an {@link EngineError} as it is, anything else a 500 with code
 * `SWARM_ERR_REMOTE` and the error's message.
 */
export function asEngineError(err: unknown): EngineError {
  return err instanceof EngineError
    ? err
    : new EngineError(500, err instanceof Error ? err.message : String(err));
}
