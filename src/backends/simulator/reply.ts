/**
 * Engine errors with dockerd's exact text and HTTP status, and the three reply shapes the simulator
 * sends (`set`, `ack` + stream, `error`). Every reply closes the request's `ret`.
 * @module
 */
import type { Duplex } from 'node:stream';
import type { ErrorArgs, Message } from '../../actors/message.js';
import { ErrorCode, type ErrorCodeValue, SwarmError } from '../../errors.js';
import type { DockerResult, DockerStreamResult } from '../docker/api.js';

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

function deliver(m: Message, out: Message): void {
  const ret = m.ret;
  if (!ret) {
    out.stream?.destroy();
    return;
  }
  try {
    // A reply channel that went away must not crash the engine; the stream it carried is dropped.
    ret.send(out)?.catch(() => out.stream?.destroy());
    ret.close();
  } catch {
    out.stream?.destroy();
  }
}

/** Answers with a complete result. */
export function replySet(m: Message, result: DockerResult): void {
  deliver(m, { verb: 'set', args: result });
}

/** Answers with a stream (attach, logs, wait, events, pull progress). */
export function replyStream(m: Message, result: DockerStreamResult, stream: Duplex): void {
  deliver(m, { verb: 'ack', args: result, stream });
}

/** Answers with an error; anything that is not an {@link EngineError} becomes a 500. */
export function replyError(m: Message, err: unknown): void {
  const args: ErrorArgs =
    err instanceof EngineError
      ? { message: err.message, code: err.code, status: err.status }
      : { message: err instanceof Error ? err.message : String(err), code: ErrorCode.Remote, status: 500 };
  deliver(m, { verb: 'error', args });
}
