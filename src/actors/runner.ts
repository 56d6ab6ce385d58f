/**
 * The actor runner. An {@link ActorCell} is an actor's mailbox plus its runner state (one object, so an
 * idle actor stays small). Ready cells go on the run queue of `scheduler.ts`, which drains them in
 * batches and yields to I/O once per turn.
 * @module
 */
import type { Clock, TimerHandle } from '../clock.js';
import { ErrorCode, SwarmError, toError } from '../errors.js';
import { type DeadLetterReason, Mailbox, type MailboxOptions } from '../mailbox/index.js';
import { ActorRef, type AnyActorRef } from './actor-ref.js';
import {
  type ActorContext,
  type Behavior,
  type BehaviorSource,
  type ExitReason,
  type Inspector,
  replyWithError,
  type Signal,
} from './behavior.js';
import type { DeadLetters } from './dead-letters.js';
import {
  isFinalLifecycleState,
  type LifecycleEventType,
  type LifecycleState,
  nextLifecycleState,
} from './lifecycle.js';
import { schedule } from './scheduler.js';

/** What a cell needs from its system (an interface, so the runner never imports the system). */
export interface CellHost {
  readonly clock: Clock;
  readonly deadLetters: DeadLetters;
  inspector: Inspector | undefined;
  /** Makes a fresh unique actor id. */
  newId(): string;
  /** Called once when a cell reaches a final state. */
  cellTerminated(cell: AnyCell): void;
}

/** Whoever decides what happens after a cell exits (a supervisor). It must call `restart` or `finish`. */
export interface ChildOwner {
  childExit(cell: AnyCell, reason: ExitReason): void;
  /** The child is going away for good at its holder's request (ref closed, `system.stop`): forget it. */
  removeChild(cell: AnyCell): void;
}

/** A cell of any message type (the runtime's internal bookkeeping never looks at messages). */
// biome-ignore lint/suspicious/noExplicitAny: bookkeeping over cells of every message type
export type AnyCell = ActorCell<any>;

const RESOLVED: Promise<void> = Promise.resolve();

// Shared (not per-actor closures) mailbox hooks: the mailbox calls them with `this` = the cell.
function onReadable(this: AnyCell): void {
  this.wake();
}
function onDeadLetter(this: AnyCell, message: unknown, reason: DeadLetterReason): void {
  deadLetter(this, message, reason);
}

/**
 * Records a dead letter; a verb request (`ret` Sender) also gets an error reply, so its requester
 * hears at once instead of waiting for a deadline.
 */
function deadLetter(cell: AnyCell, message: unknown, reason: DeadLetterReason | 'stopped'): void {
  cell.host.deadLetters.publish(message, reason, cell.id);
  if ((message as { ret?: unknown } | null | undefined)?.ret === undefined) return;
  const gone = reason === 'stopped' || reason === 'closed';
  replyWithError(
    message,
    new SwarmError(
      gone ? ErrorCode.ActorStopped : ErrorCode.Dropped,
      gone ? 'actor stopped' : `dropped (${reason})`,
      {
        details: { actor: cell.id, reason },
      },
    ),
  );
}

/**
 * One actor: its bounded mailbox (by inheritance), behavior, lifecycle state and supervision links.
 * @internal Runtime machinery; users hold {@link ActorRef}s.
 */
export class ActorCell<T> extends Mailbox<T, Signal> implements ActorContext<T> {
  readonly name: string | undefined;
  readonly self: ActorRef<T>;
  readonly host: CellHost;
  /** 0 open, 1 closed by the holder (sends refused), 2 stopped (sends dead-lettered). */
  gate = 0;
  /** True while on the run queue. */
  queued = false;
  /** True when the runner may handle messages: running and not awaiting an async handler. */
  runnable = false;
  lifecycle: LifecycleState = 'starting';
  owner: ChildOwner | undefined;
  /** Why the actor stopped for good (set once final). */
  exitReason: ExitReason | undefined;
  /** Sends refused because the holder closed the ref (the mailbox counts its own refusals). */
  refusedByRef = 0;
  #id: string | undefined;
  #source: BehaviorSource<T>;
  #behavior: Behavior<T> | undefined;
  #incarnation = 0;
  #hookDone = true;
  #timer: TimerHandle | undefined;
  #watchers: Set<AnyCell> | undefined;

  constructor(
    host: CellHost,
    name: string | undefined,
    source: BehaviorSource<T>,
    mailbox?: MailboxOptions<T>,
  ) {
    super(mailbox);
    this.onReadable = onReadable;
    this.onDeadLetter = onDeadLetter as (m: T, r: DeadLetterReason) => void;
    this.host = host;
    this.name = name;
    this.#source = source;
    this.self = new ActorRef<T>(this);
  }

  /**
   * The actor's id, drawn from the host on first use: most actors are never asked for theirs, and a
   * nanoid string costs ~0.2 µs and ~40-300 B (a cons-string chain) per actor.
   */
  get id(): string {
    this.#id ??= this.host.newId();
    return this.#id;
  }

  /** Starts the first incarnation. */
  start(): void {
    this.#resume();
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
        this.#signal(this.shiftSystem() as Signal);
        continue;
      }
      if (this.size === 0) break;
      const message = this.shift() as T;
      n++;
      try {
        const r = (this.#behavior as Behavior<T>).receive(message, this);
        if (r != null && typeof r.then === 'function') this.#await(r, message);
      } catch (err) {
        this.#failed(message, err);
      }
    }
    if (this.gate === 1 && this.runnable && this.isEmpty) this.#closed();
    return n;
  }

  #await(p: PromiseLike<void>, message: T): void {
    this.runnable = false;
    const incarnation = this.#incarnation;
    p.then(
      () => this.#settled(incarnation),
      (err) => {
        if (incarnation !== this.#incarnation || this.lifecycle !== 'running') return;
        this.runnable = true;
        this.#failed(message, err);
        this.#settled(incarnation);
      },
    );
  }

  #settled(incarnation: number): void {
    if (incarnation !== this.#incarnation || this.lifecycle !== 'running') return;
    this.runnable = true;
    if (this.gate === 1 && this.isEmpty) this.#closed();
    else if (!this.isEmpty) this.wake();
  }

  #signal(signal: Signal): void {
    try {
      this.#behavior?.onSignal?.(signal, this);
    } catch (err) {
      this.#failed(signal as unknown as T, err);
    }
  }

  #failed(message: T, thrown: unknown): void {
    const error = toError(thrown);
    const inspector = this.host.inspector;
    if (inspector) inspector({ type: 'failure', actor: this.id, name: this.name, error, message });
    try {
      const onFailure = this.#behavior?.onFailure;
      if (onFailure) onFailure.call(this.#behavior, message, error, this);
      else replyWithError(message, error);
    } catch {
      // the reply hook itself failed; the supervisor still hears about the original error
    }
    this.exit(error);
  }

  /** Ends the current incarnation and lets the owner (or the default policy) decide what follows. */
  exit(reason: ExitReason): void {
    if (this.lifecycle !== 'running' && this.lifecycle !== 'starting') return;
    this.runnable = false;
    this.#runStopHook(reason);
    if (this.owner) this.owner.childExit(this, reason);
    // unsupervised: a failure restarts at once (keeping the mailbox); a normal exit stops
    else if (reason instanceof Error && this.#incarnation > 0) this.restart(0);
    else this.finish(reason);
  }

  /** Starts a new incarnation after `delay` ms on the host clock; the mailbox (and its messages) stay. */
  restart(delay: number): void {
    if (this.suspend()) this.resumeAfter(delay);
  }

  /**
   * Ends the current incarnation for a restart (stop hook, `restarting`) without starting the next one;
   * supervisors suspend siblings in reverse start order, then resume them in start order.
   * Returns false when the cell is stopping or gone.
   */
  suspend(): boolean {
    if (isFinalLifecycleState(this.lifecycle) || this.lifecycle === 'stopping') return false;
    this.runnable = false;
    this.#runStopHook('shutdown');
    this.#transition('restart');
    if (this.#timer !== undefined) this.host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    return true;
  }

  /** Starts the next incarnation of a suspended cell after `delay` ms (0: now). */
  resumeAfter(delay: number): void {
    if (this.lifecycle !== 'restarting') return;
    if (delay > 0) this.#timer = this.host.clock.setTimeout(() => this.#resume(), delay);
    else this.#resume();
  }

  #resume(): void {
    this.#timer = undefined;
    this.#incarnation++;
    const source = this.#source;
    try {
      this.#behavior = typeof source === 'function' ? source() : source;
      this.#hookDone = false;
      this.#transition('started');
      this.runnable = true;
      this.#behavior.start?.(this);
    } catch (err) {
      const error = toError(err);
      if (this.owner) this.exit(error);
      else this.finish(error); // no supervisor to bound a crash loop: give up
      return;
    }
    if (!this.isEmpty) this.wake();
  }

  #runStopHook(reason: ExitReason): void | PromiseLike<void> {
    if (this.#hookDone) return;
    this.#hookDone = true;
    try {
      return this.#behavior?.stop?.(this, reason);
    } catch {
      // a failing cleanup must not stop the exit
    }
  }

  /**
   * Stops for good: runs the stop hook (waiting up to `timeoutMs` on the host clock when it returns a
   * promise), then {@link finish}es. Used by supervisors' shutdown and `system.stop`.
   */
  terminate(reason: ExitReason, timeoutMs: number): Promise<void> {
    if (isFinalLifecycleState(this.lifecycle)) return RESOLVED;
    this.runnable = false;
    const pending = this.#runStopHook(reason);
    // the common case (no async hook) stays synchronous: spawn+stop is on the per-request path
    if (pending == null || typeof pending.then !== 'function') {
      this.finish(reason);
      return RESOLVED;
    }
    const clock = this.host.clock;
    let timer: TimerHandle | undefined;
    return Promise.race([
      Promise.resolve(pending).catch(() => {}),
      new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, timeoutMs); // brutal kill after the timeout
      }),
    ]).then(() => {
      if (timer !== undefined) clock.clearTimeout(timer);
      this.finish(reason);
    });
  }

  /** Final stop: closes the mailbox (queued messages become dead letters), notifies watchers. */
  finish(reason: ExitReason): void {
    if (isFinalLifecycleState(this.lifecycle)) return;
    this.runnable = false;
    this.gate = 2;
    this.exitReason = reason;
    this.#runStopHook(reason);
    if (this.#timer !== undefined) this.host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.lifecycle !== 'stopping') this.#transition('stop');
    this.#transition(reason instanceof Error ? 'fail' : 'stopped');
    this.close();
    this.#behavior = undefined;
    this.host.cellTerminated(this);
    const watchers = this.#watchers;
    this.#watchers = undefined;
    if (watchers) for (const w of watchers) w.sendSystem({ type: 'terminated', ref: this.self, reason });
  }

  /** Adds a watcher; an actor already gone notifies at once. */
  addWatcher(watcher: AnyCell): void {
    if (isFinalLifecycleState(this.lifecycle)) {
      watcher.sendSystem({ type: 'terminated', ref: this.self, reason: this.exitReason ?? 'normal' });
      return;
    }
    this.#watchers ??= new Set();
    this.#watchers.add(watcher);
  }

  /** Removes a watcher. */
  removeWatcher(watcher: AnyCell): void {
    this.#watchers?.delete(watcher);
  }

  /** {@link ActorContext.stop}: a normal exit. */
  stop(): void {
    this.exit('normal');
  }

  /** {@link ActorContext.watch}. */
  watch(target: AnyActorRef): void {
    target._cell.addWatcher(this);
  }

  /** Graceful close requested by a ref holder: refuse new sends, stop once the queue is empty. */
  closeGracefully(): void {
    if (this.gate !== 0) return;
    this.gate = 1;
    if (this.lifecycle === 'running' && this.runnable && this.isEmpty) this.#closed();
  }

  /** A closed ref's queue ran dry: stop for good (`normal`), never restarted by a supervisor. */
  #closed(): void {
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

  #transition(event: LifecycleEventType): void {
    const from = this.lifecycle;
    const to = nextLifecycleState(from, event);
    if (to === undefined) return;
    this.lifecycle = to;
    const inspector = this.host.inspector;
    if (inspector) inspector({ type: 'transition', actor: this.id, name: this.name, from, to });
  }
}
