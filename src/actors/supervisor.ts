/**
 * OTP supervision. A {@link Supervisor} keeps its own ordered `Map` of children (never xstate's
 * spawnChild), restarts them per strategy and restart type, paces restarts with backoff, gives up
 * when the restart intensity is exceeded (stopping its children and escalating to its parent), and
 * shuts children down in reverse start order with a per-child timeout.
 * @module
 */
import { nanoid } from 'nanoid';
import type { TimerHandle } from '../clock.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { OverflowPolicy } from '../mailbox/index.js';
import type { ActorRef } from './actor-ref.js';
import {
  type BackoffOptions,
  backoffDelay,
  backoffResetAfter,
  checkBackoff,
  RestartIntensity,
} from './backoff.js';
import { type BehaviorSource, type ExitReason, isAbnormal } from './behavior.js';
import type { AnyCell, ChildOwner } from './runner.js';
import { type ActorSystem, DEFAULT_SHUTDOWN_TIMEOUT, type SpawnOptions } from './system.js';

/** Which children restart when one exits. */
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one';
/** `permanent` always restarts, `transient` only after an abnormal exit, `temporary` never. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/** An actor child. */
export interface ChildSpec<T = unknown> {
  id: string;
  behavior: BehaviorSource<T>;
  restart?: RestartType;
  /** Time its async `stop` hook gets at shutdown before it is cut off, ms. */
  shutdownTimeout?: number;
  capacity?: number;
  overflow?: OverflowPolicy;
  /** Async handlers run at once (see {@link SpawnOptions.concurrency}). Default 1. */
  concurrency?: number;
}

/** A child spec of any message type. */
// biome-ignore lint/suspicious/noExplicitAny: supervisors never look at their children's messages
export type AnySpec = ChildSpec<any>;

/** Options of a {@link Supervisor}. */
export interface SupervisorOptions {
  name?: string;
  strategy?: Strategy;
  /** Most restarts tolerated within `period` (OTP MaxR). Default 1. */
  intensity?: number;
  /** Window of the intensity, ms (OTP MaxT). Default 5000. */
  period?: number;
  /** Delay restarts exponentially; without it restarts are immediate. */
  backoff?: BackoffOptions;
  /** Default per-child shutdown timeout, ms. */
  shutdownTimeout?: number;
  /** Children started at construction, in order. */
  children?: AnySpec[];
}

/** Lifecycle of a supervisor. */
export type SupervisorStatus = 'running' | 'restarting' | 'stopped' | 'failed';

interface Entry {
  id: string;
  restart: RestartType;
  spec?: AnySpec;
  cell?: AnyCell;
  sup?: Supervisor;
  attempts: number;
  lastStart: number;
  /** Restarts of this child so far (inspection). */
  restarts: number;
  /** Abnormal exits so far, and the last one (inspection). */
  failures: number;
  lastError?: Error;
  lastErrorAt?: number;
}

/** What inspection sees of one child (`inspectTree` in inspection.ts). */
export interface ChildView {
  id: string;
  restart: RestartType;
  /** The actor, for an actor child. */
  ref?: ActorRef<unknown>;
  /** The nested supervisor, for a supervisor child. */
  supervisor?: Supervisor;
  restarts: number;
  failures: number;
  lastError?: Error;
  /** Clock time of `lastError`. */
  lastErrorAt?: number;
}

/** An OTP-style supervisor over actors and nested supervisors. */
export class Supervisor implements ChildOwner {
  readonly system: ActorSystem;
  readonly name: string;
  readonly strategy: Strategy;
  readonly #options: SupervisorOptions;
  readonly #intensity: RestartIntensity;
  readonly #children = new Map<string, Entry>();
  readonly #byCell = new Map<AnyCell, Entry>();
  #parent: { sup: Supervisor; entry: Entry } | undefined;
  #status: SupervisorStatus = 'running';
  #rebuildTimer: TimerHandle | undefined;
  #exit: ((reason: ExitReason) => void) | undefined;
  #giveUps = 0;
  /** Resolves with the reason once this supervisor stopped (`shutdown`) or gave up (the error). */
  readonly terminated: Promise<ExitReason>;

  constructor(system: ActorSystem, options: SupervisorOptions = {}) {
    if (options.backoff) checkBackoff(options.backoff);
    this.system = system;
    this.name = options.name ?? nanoid();
    this.strategy = options.strategy ?? 'one_for_one';
    this.#options = options;
    this.#intensity = new RestartIntensity(options.intensity ?? 1, options.period ?? 5000);
    this.terminated = new Promise((resolve) => {
      this.#exit = resolve;
    });
    for (const spec of options.children ?? []) this.startChild(spec);
  }

  get status(): SupervisorStatus {
    return this.#status;
  }

  /** Child ids in start order. */
  childIds(): string[] {
    return [...this.#children.keys()];
  }

  /** Times this supervisor gave up (restart intensity exceeded); a rebuilt one may give up again. */
  get giveUps(): number {
    return this.#giveUps;
  }

  /** Each child as inspection sees it, in start order (a snapshot: cheap, for sampling, not per message). */
  childViews(): ChildView[] {
    return [...this.#children.values()].map((e) => ({
      id: e.id,
      restart: e.restart,
      ref: e.cell?.self,
      supervisor: e.sup,
      restarts: e.restarts,
      failures: e.failures,
      lastError: e.lastError,
      lastErrorAt: e.lastErrorAt,
    }));
  }

  /** The ref of an actor child. */
  child<T = unknown>(id: string): ActorRef<T> | undefined {
    return this.#children.get(id)?.cell?.self as ActorRef<T> | undefined;
  }

  /** A nested supervisor child. */
  childSupervisor(id: string): Supervisor | undefined {
    return this.#children.get(id)?.sup;
  }

  /** Starts an actor child (appended: last in start order, first to stop). */
  startChild<T>(spec: ChildSpec<T>): ActorRef<T> {
    const entry = this.#add(spec.id, spec.restart);
    entry.spec = spec;
    this.#startActor(entry);
    return (entry.cell as AnyCell).self as ActorRef<T>;
  }

  /** Starts a nested supervisor child; its give-up escalates here. */
  startSupervisor(id: string, options: SupervisorOptions, restart: RestartType = 'permanent'): Supervisor {
    const entry = this.#add(id, restart);
    const sup = new Supervisor(this.system, { ...options, name: options.name ?? id });
    sup.#parent = { sup: this, entry };
    entry.sup = sup;
    return sup;
  }

  #add(id: string, restart: RestartType = 'permanent'): Entry {
    if (this.#status !== 'running')
      throw new SwarmError(ErrorCode.Closed, `supervisor ${this.name} is ${this.#status}`);
    if (this.#children.has(id))
      throw new SwarmError(ErrorCode.Conflict, `child ${id} already exists`, { details: { id } });
    const now = this.system.clock.now();
    const entry: Entry = { id, restart, attempts: 0, lastStart: now, restarts: 0, failures: 0 };
    this.#children.set(id, entry);
    return entry;
  }

  #startActor(entry: Entry): void {
    const spec = entry.spec as AnySpec;
    const cell = this.system.createCell(spec.behavior, {
      capacity: spec.capacity,
      overflow: spec.overflow,
      concurrency: spec.concurrency,
    });
    cell.owner = this;
    entry.cell = cell;
    this.#byCell.set(cell, entry);
    cell.start();
  }

  /** @internal {@link ChildOwner}: an actor child exited (failure or normal stop). */
  childExit(cell: AnyCell, reason: ExitReason): void {
    const entry = this.#byCell.get(cell);
    if (entry === undefined) {
      cell.finish(reason);
      return;
    }
    this.#onExit(entry, reason);
  }

  /** @internal Used by `system.stop` on a supervised actor: forget it, never restart it. */
  removeChild(cell: AnyCell): void {
    const entry = this.#byCell.get(cell);
    if (entry) this.#forget(entry);
  }

  #forget(entry: Entry): void {
    this.#children.delete(entry.id);
    if (entry.cell) this.#byCell.delete(entry.cell);
  }

  #onExit(entry: Entry, reason: ExitReason): void {
    const now = this.system.clock.now();
    if (reason instanceof Error) {
      entry.failures++;
      entry.lastError = reason;
      entry.lastErrorAt = now;
    }
    const restart = entry.restart === 'permanent' || (entry.restart === 'transient' && isAbnormal(reason));
    if (this.#status !== 'running' || !restart) {
      this.#halt(entry, reason);
      this.#forget(entry);
      return;
    }
    if (this.#intensity.exceeded(now)) {
      this.#giveUp(entry, reason);
      return;
    }
    const delay = this.#delayFor(entry, now);
    entry.restarts++;
    this.system.inspector?.({
      type: 'supervisor',
      supervisor: this.name,
      action: 'restart',
      child: entry.id,
      delay,
    });
    const all = [...this.#children.values()];
    const group =
      this.strategy === 'one_for_one'
        ? [entry]
        : this.strategy === 'one_for_all'
          ? all
          : all.slice(all.indexOf(entry));
    // terminate in reverse start order (temporary siblings for good), then restart in start order
    for (let i = group.length - 1; i >= 0; i--) {
      const e = group[i] as Entry;
      if (e === entry) this.#suspend(e);
      else if (e.restart === 'temporary') {
        this.#halt(e, 'shutdown');
        this.#forget(e);
      } else this.#suspend(e);
    }
    for (const e of group) if (this.#children.get(e.id) === e) this.#resume(e, delay);
  }

  #delayFor(entry: Entry, now: number): number {
    const backoff = this.#options.backoff;
    if (backoff === undefined) return 0;
    if (now - entry.lastStart >= backoffResetAfter(backoff)) entry.attempts = 0;
    const delay = backoffDelay(entry.attempts++, backoff);
    entry.lastStart = now + delay;
    return delay;
  }

  #suspend(entry: Entry): void {
    if (entry.cell) entry.cell.suspend();
    else if (entry.sup) entry.sup.#haltAll('shutdown');
  }

  #resume(entry: Entry, delay: number): void {
    if (entry.cell) {
      entry.cell.resumeAfter(delay);
      return;
    }
    const sup = entry.sup as Supervisor;
    sup.#status = 'restarting';
    if (delay > 0) sup.#rebuildTimer = this.system.clock.setTimeout(() => sup.#rebuild(), delay);
    else sup.#rebuild();
  }

  /** A restarted supervisor starts every child afresh, in start order (its children were stopped). */
  #rebuild(): void {
    this.#rebuildTimer = undefined;
    if (this.#status !== 'restarting') return;
    this.#status = 'running';
    this.#intensity.reset();
    for (const e of this.#children.values()) {
      if (e.cell) this.#byCell.delete(e.cell);
      if (e.spec) this.#startActor(e);
      else if (e.sup) {
        e.sup.#status = 'restarting';
        e.sup.#rebuild();
      }
    }
  }

  /** Stops one child for good, synchronously (stop hooks run; async parts are not awaited). */
  #halt(entry: Entry, reason: ExitReason): void {
    if (entry.cell) {
      entry.cell.finish(reason);
      return;
    }
    const sup = entry.sup;
    if (sup === undefined) return;
    sup.#haltAll(reason);
    if (sup.#status !== 'failed') sup.#status = 'stopped';
    sup.#exit?.(reason);
  }

  #haltAll(reason: ExitReason): void {
    const entries = [...this.#children.values()].reverse();
    for (const e of entries) {
      this.#halt(e, reason);
      if (e.restart === 'temporary') this.#forget(e);
    }
  }

  #giveUp(entry: Entry, reason: ExitReason): void {
    const error = new SwarmError(
      ErrorCode.RestartIntensity,
      `supervisor ${this.name}: more than ${this.#intensity.intensity} restarts in ${this.#intensity.period} ms`,
      { cause: reason, details: { supervisor: this.name, child: entry.id } },
    );
    this.system.inspector?.({
      type: 'supervisor',
      supervisor: this.name,
      action: 'give-up',
      child: entry.id,
    });
    this.#giveUps++;
    this.#halt(entry, reason);
    this.#haltAll('shutdown');
    this.#status = 'failed';
    const parent = this.#parent;
    if (parent && parent.sup.#children.get(parent.entry.id) === parent.entry)
      parent.sup.#onExit(parent.entry, error);
    else this.#exit?.(error);
  }

  /**
   * Stops one child for good and forgets it (OTP's terminate_child + delete_child): an actor gets its
   * shutdown timeout, a nested supervisor stops its own children first. Unknown ids are ignored.
   */
  async stopChild(id: string): Promise<void> {
    const entry = this.#children.get(id);
    if (entry === undefined) return;
    this.#forget(entry);
    if (entry.cell) {
      const timeout =
        entry.spec?.shutdownTimeout ?? this.#options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
      await entry.cell.terminate('shutdown', timeout);
    } else await entry.sup?.stop();
  }

  /** Orderly shutdown: children in reverse start order, each with its shutdown timeout. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'failed') return;
    this.#status = 'stopped';
    if (this.#rebuildTimer !== undefined) this.system.clock.clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = undefined;
    this.system.inspector?.({ type: 'supervisor', supervisor: this.name, action: 'stop' });
    const fallback = this.#options.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    for (const e of [...this.#children.values()].reverse()) {
      if (e.cell) await e.cell.terminate('shutdown', e.spec?.shutdownTimeout ?? fallback);
      else await e.sup?.stop();
    }
    this.#exit?.('shutdown');
  }
}
