/**
 * Rules for calls from the aggregate to one child: which ops are reads (short deadline), how long a
 * stop may take on purpose, which child errors mean "unreachable", and the fan-out's shared deadline.
 * @module
 */
import type { ErrorArgs } from '../../actors/message.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import { type DockerArgs, graceMs, ROUTES, routeOf } from '../docker/api.js';

/**
 * Forwarded ops that only read and answer at once (the route table's reads with a complete answer):
 * they get the short deadline, like lists (a hung node fails them fast). Streams (logs, export) and
 * changes get the op deadline.
 */
export const READS: ReadonlySet<string> = new Set<string>(
  ROUTES.filter((r) => !r.changes && r.answer === 'complete').map((r) => r.op),
);

/** Child error codes that mean "the node is unreachable", as opposed to a Docker-level answer. */
const UNREACHABLE = new Set<string>([ErrorCode.ConnectionLost, ErrorCode.DeadlineExceeded, ErrorCode.Closed]);

/**
 * One deadline for a whole fan-out: each call registers what to do if it is still open when the
 * deadline passes. One timer and one array instead of a timer or a promise per node, which at 1,000
 * nodes were a visible part of a listing's cost. Registered functions must ignore a late call.
 */
export class SharedDeadline {
  readonly #onExpire: (() => void)[] = [];

  /** Runs `fn` when the deadline passes (unless {@link fire} already ran). */
  add(fn: () => void): void {
    this.#onExpire.push(fn);
  }

  /** The deadline passed: tells every registered call. */
  fire(): void {
    for (const fn of this.#onExpire.splice(0)) fn();
  }
}

/** Extra time for calls that wait on purpose (the route table's grace: stop/restart wait up to `t` s). */
export function graceFor(args: DockerArgs): number {
  return graceMs(routeOf(args.op), args.query);
}

/** True when a child's `error` reply says it could not be reached (not a Docker-level refusal). */
export function isUnreachable(e: ErrorArgs): boolean {
  return (
    (e.code !== undefined && UNREACHABLE.has(e.code)) ||
    e.status === 502 ||
    e.status === 503 ||
    e.status === 504
  );
}

/** A child's `error` reply as a SwarmError that keeps its HTTP status. */
export function remoteError(node: string, e: ErrorArgs): SwarmError {
  const code =
    e.status === 404 ? ErrorCode.NotFound : e.status === 409 ? ErrorCode.Conflict : ErrorCode.Remote;
  return new SwarmError(code, e.message, { details: { node, status: e.status ?? 500, remoteCode: e.code } });
}
