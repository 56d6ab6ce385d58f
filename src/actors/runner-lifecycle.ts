/**
 * The lifecycle half of an actor cell: incarnations (start, exit, restart, suspend/resume), the stop
 * hook, final stop and watchers. Message handling is the other half, {@link ActorCell} in runner.ts,
 * which extends this class; one object per actor either way, so an idle actor stays small.
 * @module
 */
import type { TimerHandle } from '../clock.js';
import { toError } from '../errors.js';
import { Mailbox, type MailboxOptions } from '../mailbox/index.js';
import type { ActorRef, AnyActorRef } from './actor-ref.js';
import type { ActorContext, Behavior, BehaviorSource, ExitReason, Signal } from './behavior.js';
import {
  isFinalLifecycleState,
  type LifecycleEventType,
  type LifecycleState,
  nextLifecycleState,
} from './lifecycle.js';
import type { AnyCell, CellHost, ChildOwner } from './runner-host.js';

const RESOLVED: Promise<void> = Promise.resolve();

/** Owners and hosts are handed the cell itself; its one concrete class is ActorCell (runner.ts). */
function asCell<T>(c: CellLifecycle<T>): AnyCell {
  return c as unknown as AnyCell;
}

/**
 * An actor's mailbox (by inheritance), behavior, lifecycle state and supervision links.
 * @internal Runtime machinery; users hold {@link ActorRef}s.
 */
export abstract class CellLifecycle<T> extends Mailbox<T, Signal> implements ActorContext<T> {
  readonly name: string | undefined;
  abstract readonly self: ActorRef<T>;
  readonly host: CellHost;
  /** 0 open, 1 closed by the holder (sends refused), 2 stopped (sends dead-lettered). */
  gate = 0;
  /** True when the runner may handle messages: running and not awaiting an async handler. */
  runnable = false;
  /** How many async handlers may run at once (spawn option `concurrency`; 1 = one at a time). */
  maxInFlight = 1;
  /** Async handlers of the current incarnation still running (only counted when maxInFlight > 1). */
  inFlight = 0;
  lifecycle: LifecycleState = 'starting';
  owner: ChildOwner | undefined;
  /** Why the actor stopped for good (set once final). */
  exitReason: ExitReason | undefined;
  /** The current incarnation's behavior (undefined once final). */
  protected behavior: Behavior<T> | undefined;
  /** Counts incarnations, so a late async handler of an earlier one is ignored. */
  protected incarnation = 0;
  #id: string | undefined;
  #source: BehaviorSource<T>;
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
    this.host = host;
    this.name = name;
    this.#source = source;
  }

  /**
   * The actor's id, drawn from the host on first use: most actors are never asked for theirs, and a
   * nanoid string costs ~0.2 µs and ~40-300 B (a cons-string chain) per actor.
   */
  get id(): string {
    this.#id ??= this.host.newId();
    return this.#id;
  }

  /** Schedules a drain when there is something to do (the runner's half). */
  abstract wake(): void;
  /** {@link ActorContext.stop}. */
  abstract stop(): void;
  /** {@link ActorContext.fail}. */
  abstract fail(error: Error): void;
  /** {@link ActorContext.watch}. */
  abstract watch(target: AnyActorRef): void;

  /** Starts the first incarnation. */
  start(): void {
    this.#resume();
  }

  /** Ends the current incarnation and lets the owner (or the default policy) decide what follows. */
  exit(reason: ExitReason): void {
    if (this.lifecycle !== 'running' && this.lifecycle !== 'starting') return;
    this.runnable = false;
    this.#runStopHook(reason);
    if (this.owner) this.owner.childExit(asCell(this), reason);
    // unsupervised: a failure restarts at once (keeping the mailbox); a normal exit stops
    else if (reason instanceof Error && this.incarnation > 0) this.restart(0);
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
    const incarnation = ++this.incarnation;
    this.inFlight = 0;
    const source = this.#source;
    let started: void | PromiseLike<void>;
    try {
      this.behavior = typeof source === 'function' ? source() : source;
      this.#hookDone = false;
      this.#transition('started');
      this.runnable = true;
      started = this.behavior.start?.(this);
    } catch (err) {
      this.#startFailed(err);
      return;
    }
    if (started != null && typeof started.then === 'function') {
      // Messages wait in the mailbox until the incarnation is ready.
      this.runnable = false;
      started.then(
        () => {
          if (incarnation !== this.incarnation || this.lifecycle !== 'running') return;
          this.runnable = true;
          if (!this.isEmpty) this.wake();
        },
        (err) => {
          if (incarnation === this.incarnation && this.lifecycle === 'running') this.#startFailed(err);
        },
      );
      return;
    }
    if (!this.isEmpty) this.wake();
  }

  #startFailed(err: unknown): void {
    const error = toError(err);
    if (this.owner) this.exit(error);
    else this.finish(error); // no supervisor to bound a crash loop: give up
  }

  #runStopHook(reason: ExitReason): void | PromiseLike<void> {
    if (this.#hookDone) return;
    this.#hookDone = true;
    try {
      return this.behavior?.stop?.(this, reason);
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
    this.behavior = undefined;
    this.host.cellTerminated(asCell(this));
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

  #transition(event: LifecycleEventType): void {
    const from = this.lifecycle;
    const to = nextLifecycleState(from, event);
    if (to === undefined) return;
    this.lifecycle = to;
    const inspector = this.host.inspector;
    if (inspector) inspector({ type: 'transition', actor: this.id, name: this.name, from, to });
  }
}
