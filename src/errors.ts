/**
 * Typed errors with stable codes. Every error the library raises or sends across a channel is a
 * {@link SwarmError}; callers branch on `code`, never on message text.
 * @module
 */

/** Stable error codes. Add new codes at the end; never rename or reuse one. */
export const ErrorCode = {
  /** A bounded mailbox was full and its overflow policy is `fail`. */
  MailboxFull: 'SWARM_ERR_MAILBOX_FULL',
  /** The mailbox, channel or actor was closed before the message could be taken. */
  Closed: 'SWARM_ERR_CLOSED',
  /** A message was dropped by an overflow policy (carried on dead letters, not thrown). */
  Dropped: 'SWARM_ERR_DROPPED',
  /** The actor addressed no longer runs. */
  ActorStopped: 'SWARM_ERR_ACTOR_STOPPED',
  /** An actor's handler threw while processing a message. */
  ActorFailed: 'SWARM_ERR_ACTOR_FAILED',
  /** A supervisor exceeded its restart intensity and gave up. */
  RestartIntensity: 'SWARM_ERR_RESTART_INTENSITY',
  /** A request did not complete before its deadline. */
  DeadlineExceeded: 'SWARM_ERR_DEADLINE_EXCEEDED',
  /** The connection under a channel or stream went away without a clean close. */
  ConnectionLost: 'SWARM_ERR_CONNECTION_LOST',
  /** The peer broke the wire protocol (bad frame, bad CBOR, unknown reference). */
  Protocol: 'SWARM_ERR_PROTOCOL',
  /** The peer reset a channel or stream with a code and reason. */
  Reset: 'SWARM_ERR_RESET',
  /** A channel end was used after it was sent away (ownership moved with the value). */
  Moved: 'SWARM_ERR_MOVED',
  /** A caller passed an invalid argument or configuration. */
  InvalidArgument: 'SWARM_ERR_INVALID_ARGUMENT',
  /** A remote stage answered with an error. */
  Remote: 'SWARM_ERR_REMOTE',
  /** A reply had a verb the client did not expect. */
  UnexpectedVerb: 'SWARM_ERR_UNEXPECTED_VERB',
  /** A reply channel closed before the expected reply arrived. */
  UnexpectedEof: 'SWARM_ERR_UNEXPECTED_EOF',
  /** No stage handles this verb. */
  NotImplemented: 'SWARM_ERR_NOT_IMPLEMENTED',
  /** A name or id matched nothing. */
  NotFound: 'SWARM_ERR_NOT_FOUND',
  /** The object already exists, or the request conflicts with its state. */
  Conflict: 'SWARM_ERR_CONFLICT',
  /** Placement found no node that may run the container (the message names each node's failed rules). */
  NoEligibleNode: 'SWARM_ERR_NO_ELIGIBLE_NODE',
  /** The node that owns the object is down or not answering. */
  NodeDown: 'SWARM_ERR_NODE_DOWN',
  /** A configured limit (e.g. a daemon's open streams) is reached: the request was refused, not queued. */
  LimitReached: 'SWARM_ERR_LIMIT_REACHED',
  /** The peer did not prove who it is (missing or wrong token, no verified client certificate). */
  Unauthenticated: 'SWARM_ERR_UNAUTHENTICATED',
  /** The peer is known but not allowed to do this (e.g. `control` through a listen without --allow-control). */
  Forbidden: 'SWARM_ERR_FORBIDDEN',
  /** A user-supplied regular expression is not valid Go (RE2) syntax, or is longer than accepted. */
  InvalidPattern: 'SWARM_ERR_INVALID_PATTERN',
  /** The policy stage refused a request (a rule matched, or the request could not be checked). */
  PolicyDenied: 'SWARM_ERR_POLICY_DENIED',
} as const;

/** One of the stable codes in {@link ErrorCode}. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options accepted by every {@link SwarmError}. */
export interface SwarmErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and tests (stage, verb, address…). Must be serialisable. */
  details?: Record<string, unknown>;
}

/** Base class of every error raised by libswarm-ts. */
export class SwarmError extends Error {
  readonly code: ErrorCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCodeValue, message: string, options: SwarmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** The connection under a channel or stream was lost; distinct from a clean end of stream. */
export class ConnectionLostError extends SwarmError {
  constructor(message = 'connection lost', options?: SwarmErrorOptions) {
    super(ErrorCode.ConnectionLost, message, options);
  }
}

/** A deadline passed before the operation finished. */
export class DeadlineExceededError extends SwarmError {
  constructor(message = 'deadline exceeded', options?: SwarmErrorOptions) {
    super(ErrorCode.DeadlineExceeded, message, options);
  }
}

/** The peer violated the wire protocol. */
export class ProtocolError extends SwarmError {
  constructor(message: string, options?: SwarmErrorOptions) {
    super(ErrorCode.Protocol, message, options);
  }
}

/** True when `err` is a {@link SwarmError} with the given code. */
export function isSwarmError(err: unknown, code?: ErrorCodeValue): err is SwarmError {
  return err instanceof SwarmError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into an `Error`, so a handler that throws a string still reports cleanly. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}`);
}
