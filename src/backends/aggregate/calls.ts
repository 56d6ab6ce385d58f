/**
 * Rules for calls from the aggregate to one child: which ops are reads (short deadline), how long a
 * stop may take on purpose, which child errors mean "unreachable", and the fan-out's shared deadline.
 * @module
 */
import type { ErrorArgs } from '../../actors/message.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs } from '../docker/api.js';

/** Forwarded ops that only read: they get the short deadline, like lists (a hung node fails them fast). */
export const READS: ReadonlySet<string> = new Set<string>([
  'ping',
  'container.inspect',
  'container.top',
  'container.changes',
  'exec.inspect',
]);

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

/** Extra time for calls that wait on purpose: stop/restart wait up to `t` seconds before killing. */
export function graceFor(args: DockerArgs): number {
  if (args.op !== 'container.stop' && args.op !== 'container.restart') return 0;
  const t = Number(args.query.t ?? args.query.timeout ?? 10);
  return Number.isFinite(t) && t > 0 ? t * 1000 : 0;
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
