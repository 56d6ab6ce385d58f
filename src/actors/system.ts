/**
 * The actor system: spawns actors, names them, stops them, routes dead letters and lifecycle
 * inspection. Time comes from an injected {@link Clock}.
 * @module
 */
import { nanoid } from 'nanoid';
import { type Clock, systemClock } from '../clock.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { MailboxCounters, OverflowPolicy } from '../mailbox/index.js';
import type { ActorRef, AnyActorRef } from './actor-ref.js';
import type { BehaviorSource, ExitReason, Inspector } from './behavior.js';
import { type DeadLetterListener, DeadLetters } from './dead-letters.js';
import { ActorCell, type AnyCell, type CellHost } from './runner.js';
import type { RestartType, Supervisor } from './supervisor.js';

/**
 * A nanoid as a flat string. nanoid builds its id by `+=`, which leaves a chain of V8 cons strings
 * (≈ 320 B per 21-char id); one latin1 round trip (ids are ASCII) copies it into a flat 40 B string.
 */
function flatNanoid(): string {
  return Buffer.from(nanoid(), 'latin1').toString('latin1');
}

/** Default time a stopping actor's async `stop` hook gets before it is cut off. */
export const DEFAULT_SHUTDOWN_TIMEOUT = 5000;

/** Options of {@link ActorSystem.spawn}. */
export interface SpawnOptions {
  /** Registers the actor under a unique name for {@link ActorSystem.lookup}. */
  name?: string;
  /** Mailbox capacity (default 1024). */
  capacity?: number;
  /** Mailbox overflow policy (default `backpressure`). */
  overflow?: OverflowPolicy;
  /** Starts the actor as a child of this supervisor (child id = `name` or the actor's id). */
  supervisor?: Supervisor;
  /** Restart type under `supervisor` (default `permanent`). */
  restart?: RestartType;
  /**
   * How many async handlers may run at once (default 1: the next message waits for the previous
   * handler's promise). A server that answers many requests at once — each swarmd stage — sets more;
   * `Infinity` leaves the bound to the mailbox.
   */
  concurrency?: number;
}

/** Options of {@link ActorSystem}. */
export interface ActorSystemOptions {
  clock?: Clock;
  /** Id generator (default nanoid). */
  newId?: () => string;
}

/** System-wide counters. */
export interface SystemCounters {
  spawned: number;
  terminated: number;
  live: number;
}

/** Owns actors: spawn, lookup, stop, watch, dead letters and inspection. */
export class ActorSystem implements CellHost {
  readonly clock: Clock;
  readonly deadLetters = new DeadLetters();
  /** The attached inspector; `undefined` keeps every inspection site a single failed check. */
  inspector: Inspector | undefined;
  readonly #live = new Set<AnyCell>();
  readonly #byName = new Map<string, AnyCell>();
  #spawned = 0;
  /** @internal {@link CellHost}: a fresh id (nanoid unless configured). */
  readonly newId: () => string;
  #terminated = 0;

  constructor(options: ActorSystemOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? flatNanoid;
  }

  /**
   * Starts an actor. A behavior object is kept across restarts; a factory function is called for every
   * incarnation. Unsupervised actors restart at once (keeping their mailbox) when a handler throws.
   */
  spawn<T>(behavior: BehaviorSource<T>, options: SpawnOptions = {}): ActorRef<T> {
    if (options.supervisor) {
      const { supervisor, name, restart, capacity, overflow, concurrency } = options;
      return supervisor.startChild({
        id: name ?? this.newId(),
        behavior,
        restart,
        capacity,
        overflow,
        concurrency,
      });
    }
    const cell = this.createCell(behavior, options);
    cell.start();
    return cell.self;
  }

  /** @internal Creates and registers a cell without starting it (supervisors set the owner first). */
  createCell<T>(behavior: BehaviorSource<T>, options: SpawnOptions = {}): ActorCell<T> {
    const { name } = options;
    if (name !== undefined && this.#byName.has(name)) {
      throw new SwarmError(ErrorCode.Conflict, `an actor named ${name} already runs`, { details: { name } });
    }
    const mailbox =
      options.capacity !== undefined || options.overflow !== undefined
        ? { capacity: options.capacity, overflow: options.overflow }
        : undefined;
    const cell = new ActorCell<T>(this, name, behavior, mailbox);
    if (options.concurrency !== undefined) cell.maxInFlight = checkConcurrency(options.concurrency);
    this.#live.add(cell);
    if (name !== undefined) this.#byName.set(name, cell);
    this.#spawned++;
    return cell;
  }

  /** The running actor registered under `name`. */
  lookup<T = unknown>(name: string): ActorRef<T> | undefined {
    return this.#byName.get(name)?.self as ActorRef<T> | undefined;
  }

  /**
   * Stops an actor for good: its async `stop` hook gets `timeoutMs`, then queued messages are
   * dead-lettered and watchers notified. A supervised actor is removed from its supervisor first.
   */
  stop(ref: AnyActorRef, timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT): Promise<void> {
    const cell = ref._cell;
    cell.owner?.removeChild(cell);
    return cell.terminate('shutdown', timeoutMs);
  }

  /** Delivers a `terminated` signal (system lane) to `watcher` when `target` stops or fails for good. */
  watch(watcher: AnyActorRef, target: AnyActorRef): void {
    target._cell.addWatcher(watcher._cell);
  }

  /** Cancels {@link watch}. */
  unwatch(watcher: AnyActorRef, target: AnyActorRef): void {
    target._cell.removeWatcher(watcher._cell);
  }

  /** Subscribes to dead letters; returns the unsubscribe function. */
  onDeadLetter(listener: DeadLetterListener): () => void {
    return this.deadLetters.subscribe(listener);
  }

  /** Attaches an inspector (lifecycle transitions, failures, supervision); returns the detach function. */
  inspect(inspector: Inspector): () => void {
    const previous = this.inspector;
    this.inspector = previous
      ? (e) => {
          previous(e);
          inspector(e);
        }
      : inspector;
    return () => {
      this.inspector = previous;
    };
  }

  /** Mailbox counters of one actor, with refusals of a closed ref added to `refused`. */
  mailboxCounters(ref: AnyActorRef): MailboxCounters {
    const counters = ref._cell.counters();
    counters.refused += ref._cell.refusedByRef;
    return counters;
  }

  /** System counters. */
  counters(): SystemCounters {
    return { spawned: this.#spawned, terminated: this.#terminated, live: this.#live.size };
  }

  /** Stops every live actor, newest first. */
  async shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT): Promise<void> {
    const cells = [...this.#live].reverse();
    for (const cell of cells) await cell.terminate('shutdown', timeoutMs);
  }

  /** @internal {@link CellHost}: forget a cell that reached a final state. */
  cellTerminated(cell: AnyCell): void {
    if (!this.#live.delete(cell)) return;
    this.#terminated++;
    if (cell.name !== undefined && this.#byName.get(cell.name) === cell) this.#byName.delete(cell.name);
  }
}

/** Validates a `concurrency` option: a whole number ≥ 1, or Infinity. */
export function checkConcurrency(n: number): number {
  if (n === Number.POSITIVE_INFINITY || (Number.isInteger(n) && n >= 1)) return n;
  throw new SwarmError(
    ErrorCode.InvalidArgument,
    `concurrency must be a whole number >= 1 or Infinity, got ${n}`,
  );
}

/** Re-exported for callers that only need the reason type. */
export type { ExitReason };
