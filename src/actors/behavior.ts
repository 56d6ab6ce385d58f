/**
 * What an actor does: the {@link Behavior} contract, exit reasons, system signals and inspection
 * events shared by the runner, the system and supervisors.
 * @module
 */
import { ErrorCode } from '../errors.js';
import { isSender, type Sender } from '../libchan/types.js';
import type { ActorRef, AnyActorRef } from './actor-ref.js';
import type { LifecycleState } from './lifecycle.js';
import type { Message } from './message.js';
import { replyError } from './reply.js';

/** Why an actor exited: `normal` (it stopped itself), `shutdown` (it was stopped), or the error it failed with. */
export type ExitReason = 'normal' | 'shutdown' | Error;

/** True when `reason` is an abnormal exit (an error). */
export function isAbnormal(reason: ExitReason): reason is Error {
  return reason instanceof Error;
}

/** A system signal: a watched actor terminated (not restarted: stopped or failed for good). */
export interface Terminated {
  type: 'terminated';
  ref: AnyActorRef;
  reason: ExitReason;
}

/** Signals delivered on the system lane, before any user message. */
export type Signal = Terminated;

/** What a behavior sees of its actor. */
export interface ActorContext<T = unknown> {
  /** This actor's own address. */
  readonly self: ActorRef<T>;
  readonly id: string;
  readonly name: string | undefined;
  /** Exits normally: the supervisor restarts a `permanent` child, others stop for good. */
  stop(): void;
  /**
   * Ends the current incarnation with `error`, as a throwing handler would: for failures outside any
   * message, such as a child process or socket the actor owns dying. The supervisor then decides.
   */
  fail(error: Error): void;
  /** Delivers a {@link Terminated} signal to this actor's `onSignal` when `target` terminates. */
  watch(target: AnyActorRef): void;
}

/**
 * An actor's code. `receive` may be sync or return a promise; the runner waits for a promise before
 * the next message unless the actor was spawned with a `concurrency` above 1 (then up to that many
 * handlers run at once). A sync throw or a rejection never unwinds the mailbox: `onFailure` (or the
 * default error reply) runs, then the supervisor decides.
 */
export interface Behavior<T = unknown> {
  /** Handles one message. */
  receive(message: T, ctx: ActorContext<T>): void | PromiseLike<void>;
  /**
   * Runs when an incarnation starts (first start and every restart). A throw is a failure. When it
   * returns a promise, messages wait in the mailbox until it resolves; a rejection is a failure.
   */
  start?(ctx: ActorContext<T>): void | PromiseLike<void>;
  /** Runs once when an incarnation ends (restart or stop). May return a promise, awaited only on shutdown. */
  stop?(ctx: ActorContext<T>, reason: ExitReason): void | PromiseLike<void>;
  /**
   * Tells the sender of `message` that it failed. Default: when the message carries a `ret`
   * Sender (a verb request), reply `{verb:'error', args:{message, code}}` and close `ret`. Also called
   * for a handler of an earlier incarnation that fails after a restart (answered, not failed again).
   */
  onFailure?(message: T, error: Error, ctx: ActorContext<T>): void;
  /** Handles system signals (watch notifications). Unhandled signals are ignored. */
  onSignal?(signal: Signal, ctx: ActorContext<T>): void;
}

/** A behavior object (kept across restarts) or a factory called for every incarnation (fresh state). */
export type BehaviorSource<T> = Behavior<T> | (() => Behavior<T>);

/** Events handed to an attached inspector. Only rare events: lifecycle, failures, supervision. */
export type InspectionEvent =
  | { type: 'transition'; actor: string; name: string | undefined; from: LifecycleState; to: LifecycleState }
  | { type: 'failure'; actor: string; name: string | undefined; error: Error; message: unknown }
  | {
      type: 'supervisor';
      supervisor: string;
      action: 'restart' | 'give-up' | 'stop';
      child?: string;
      delay?: number;
    };

/** An inspection callback. */
export type Inspector = (event: InspectionEvent) => void;

/**
 * Default failure reply: a verb request (`ret` Sender) gets {@link replyError}'s `error` reply, with
 * `SWARM_ERR_ACTOR_FAILED` for an error that is not a SwarmError, and its `ret` closed.
 */
export function replyWithError(message: unknown, error: Error): void {
  const ret = (message as { ret?: unknown } | null | undefined)?.ret;
  if (isSender(ret)) replyError(ret as Sender<Message>, error, { code: ErrorCode.ActorFailed });
}
