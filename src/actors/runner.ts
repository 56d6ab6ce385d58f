/**
 * The actor runner. An {@link ActorCell} is an actor's mailbox plus its runner state (one object, so an
 * idle actor stays small). Ready cells go on the run queue of `scheduler.ts`, which drains them in
 * batches and yields to I/O once per turn. This file is the message-handling half of a cell; its
 * lifecycle half (incarnations, stop hook, final stop, watchers) is `runner-lifecycle.ts`, and its
 * contracts with the system and the supervisor are `runner-host.ts`.
 * @module
 */
import { ErrorCode, SwarmError, toError } from '../errors.js';
import type { DeadLetterReason, MailboxOptions } from '../mailbox/index.js';
import { ActorRef, type AnyActorRef } from './actor-ref.js';
import { type Behavior, type BehaviorSource, replyWithError, type Signal } from './behavior.js';
import { type AnyCell, type CellHost, deadLetter } from './runner-host.js';
import { CellLifecycle } from './runner-lifecycle.js';
import { schedule } from './scheduler.js';

export type { AnyCell, CellHost, ChildOwner } from './runner-host.js';

// Shared (not per-actor closures) mailbox hooks: the mailbox calls them with `this` = the cell.
function onReadable(this: AnyCell): void {
  this.wake();
}
function onDeadLetter(this: AnyCell, message: unknown, reason: DeadLetterReason): void {
  deadLetter(this, message, reason);
}

/**
 * One actor: its bounded mailbox (by inheritance), behavior, lifecycle state and supervision links.
 * @internal Runtime machinery; users hold {@link ActorRef}s.
 */
export class ActorCell<T> extends CellLifecycle<T> {
  // No `#private` members in this class: each class with any adds a brand slot to every instance
  // (8 B per idle actor), so this half uses TypeScript `private` and the lifecycle half keeps `#`.
  readonly self: ActorRef<T>;
  /** True while on the run queue. */
  queued = false;
  /** Sends refused because the holder closed the ref (the mailbox counts its own refusals). */
  refusedByRef = 0;

  constructor(
    host: CellHost,
    name: string | undefined,
    source: BehaviorSource<T>,
    mailbox?: MailboxOptions<T>,
  ) {
    super(host, name, source, mailbox);
    this.onReadable = onReadable;
    this.onDeadLetter = onDeadLetter as (m: T, r: DeadLetterReason) => void;
    this.self = new ActorRef<T>(this);
  }

  /** Schedules a drain when there is something to do. Cheap enough to call after every state change. */
  wake(): void {
    if (this.queued || !this.runnable) return;
    this.queued = true;
    schedule(this);
  }

  /** Handles up to `max` signals and messages; returns how many. */
  drain(max: number): number {
    let n = 0;
    while (n < max && this.runnable) {
      if (this.hasSystem) {
        n++;
        this.handleSignal(this.shiftSystem() as Signal);
        continue;
      }
      if (this.size === 0) break;
      const message = this.shift() as T;
      n++;
      try {
        const r = (this.behavior as Behavior<T>).receive(message, this);
        if (r != null && typeof r.then === 'function') this.awaitHandler(r, message);
      } catch (err) {
        this.failed(message, err);
      }
    }
    if (this.gate === 1 && this.runnable && this.isEmpty && this.inFlight === 0) this.closedAndDrained();
    return n;
  }

  private awaitHandler(p: PromiseLike<void>, message: T): void {
    if (this.maxInFlight === 1) {
      this.runnable = false;
      const incarnation = this.incarnation;
      p.then(
        () => this.settled(incarnation),
        (err) => {
          if (incarnation !== this.incarnation || this.lifecycle !== 'running') return;
          this.runnable = true;
          this.failed(message, err);
          this.settled(incarnation);
        },
      );
      return;
    }
    this.awaitConcurrent(p, message);
  }

  private settled(incarnation: number): void {
    if (incarnation !== this.incarnation || this.lifecycle !== 'running') return;
    this.runnable = true;
    if (this.gate === 1 && this.isEmpty) this.closedAndDrained();
    else if (!this.isEmpty) this.wake();
  }

  /**
   * One of up to `maxInFlight` handlers running at once. The actor stays runnable below the limit. A
   * handler of an earlier incarnation that fails late is answered (onFailure) but fails nothing: the
   * incarnation it belonged to is already gone.
   */
  private awaitConcurrent(p: PromiseLike<void>, message: T): void {
    const incarnation = this.incarnation;
    if (++this.inFlight >= this.maxInFlight) this.runnable = false;
    const done = (err: unknown, failed: boolean) => {
      const current = incarnation === this.incarnation && this.lifecycle === 'running';
      if (!current) {
        if (failed) this.answerFailure(message, toError(err));
        return;
      }
      this.inFlight--;
      if (failed) {
        this.failed(message, err);
        return;
      }
      if (!this.runnable && this.inFlight < this.maxInFlight) this.runnable = true;
      if (this.gate === 1 && this.isEmpty && this.inFlight === 0) this.closedAndDrained();
      else if (!this.isEmpty) this.wake();
    };
    p.then(
      () => done(undefined, false),
      (err) => done(err, true),
    );
  }

  private handleSignal(signal: Signal): void {
    try {
      this.behavior?.onSignal?.(signal, this);
    } catch (err) {
      this.failed(signal as unknown as T, err);
    }
  }

  private failed(message: T, thrown: unknown): void {
    const error = toError(thrown);
    const inspector = this.host.inspector;
    if (inspector) inspector({ type: 'failure', actor: this.id, name: this.name, error, message });
    this.answerFailure(message, error);
    this.exit(error);
  }

  private answerFailure(message: T, error: Error): void {
    try {
      const onFailure = this.behavior?.onFailure;
      if (onFailure) onFailure.call(this.behavior, message, error, this);
      else replyWithError(message, error);
    } catch {
      // the reply hook itself failed; the supervisor still hears about the original error
    }
  }

  /** {@link ActorContext.stop}: a normal exit. */
  stop(): void {
    this.exit('normal');
  }

  /** {@link ActorContext.fail}: an abnormal exit from outside any handler. */
  fail(error: Error): void {
    const inspector = this.host.inspector;
    if (inspector) inspector({ type: 'failure', actor: this.id, name: this.name, error, message: undefined });
    this.exit(error);
  }

  /** {@link ActorContext.watch}. */
  watch(target: AnyActorRef): void {
    target._cell.addWatcher(this);
  }

  /** Graceful close requested by a ref holder: refuse new sends, stop once the queue is empty. */
  closeGracefully(): void {
    if (this.gate !== 0) return;
    this.gate = 1;
    if (this.lifecycle === 'running' && this.runnable && this.isEmpty && this.inFlight === 0)
      this.closedAndDrained();
  }

  /** A closed ref's queue ran dry: stop for good (`normal`), never restarted by a supervisor. */
  private closedAndDrained(): void {
    this.owner?.removeChild(this);
    this.finish('normal');
  }

  /** The slow path of `ActorRef.send` when the gate is not open. */
  rejectSend(message: T): undefined {
    if (this.gate === 2) {
      deadLetter(this, message, 'stopped');
      return undefined;
    }
    this.refusedByRef++;
    throw new SwarmError(ErrorCode.Closed, 'actor ref is closed', { details: { actor: this.id } });
  }
}
