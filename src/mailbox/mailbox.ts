/**
 * The bounded mailbox behind every actor and in-process channel.
 *
 * Accounting rule: every message handed to {@link Mailbox.send} ends in exactly one of three places —
 * delivered (taken by {@link Mailbox.shift}), dead-lettered (dropped by policy, or still queued when the
 * mailbox closed), or refused (the sender got an error). The counters let tests check that sum.
 * @module
 */
import { ErrorCode, SwarmError } from '../errors.js';
import { RingBuffer } from './ring-buffer.js';

/** What to do when a message arrives at a full mailbox (Akka Streams' vocabulary). */
export type OverflowPolicy = 'backpressure' | 'dropHead' | 'dropTail' | 'fail';

/** Why a message went to dead letters. */
export type DeadLetterReason = 'dropHead' | 'dropTail' | 'closed';

/** Receives messages the mailbox could not deliver. */
export type DeadLetterSink<T> = (message: T, reason: DeadLetterReason) => void;

/** Configuration of one mailbox. */
export interface MailboxOptions<T> {
  /** Most user messages held at once (system signals are not counted). Default 1024. */
  capacity?: number;
  /** Overflow policy. Default `backpressure`. */
  overflow?: OverflowPolicy;
  /** Where dropped and orphaned messages go. Without a sink they are still counted. */
  onDeadLetter?: DeadLetterSink<T>;
  /** Called when the mailbox goes from empty to non-empty: the consumer's cue to schedule a drain. */
  onReadable?: () => void;
}

/** A snapshot of a mailbox's counters. */
export interface MailboxCounters {
  /** User messages that entered the queue (a `dropTail` victim never does). */
  enqueued: number;
  delivered: number;
  droppedHead: number;
  droppedTail: number;
  /** Messages still queued when the mailbox closed. */
  orphaned: number;
  refused: number;
  highWater: number;
  systemDelivered: number;
}

interface Waiter<T> {
  message: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Default capacity of a mailbox when none is configured. */
export const DEFAULT_MAILBOX_CAPACITY = 1024;

/**
 * Bounded FIFO of user messages plus an unbounded system lane that is always taken first.
 * Single consumer; any number of producers.
 */
export class Mailbox<T, S = unknown> {
  readonly capacity: number;
  readonly overflow: OverflowPolicy;
  onDeadLetter: DeadLetterSink<T> | undefined;
  onReadable: (() => void) | undefined;

  readonly #queue: RingBuffer<T>;
  // The system lane and the waiter queue are allocated on first use: most mailboxes never need them,
  // and an idle actor must stay within a few hundred bytes of heap.
  #system: S[] | undefined;
  #waiters: RingBuffer<Waiter<T>> | undefined;
  #closed = false;
  #enqueued = 0;
  #delivered = 0;
  #droppedHead = 0;
  #droppedTail = 0;
  #orphaned = 0;
  #refused = 0;
  #highWater = 0;
  #systemDelivered = 0;

  constructor(options: MailboxOptions<T> = {}) {
    const capacity = options.capacity ?? DEFAULT_MAILBOX_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `mailbox capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
    this.overflow = options.overflow ?? 'backpressure';
    this.onDeadLetter = options.onDeadLetter;
    this.onReadable = options.onReadable;
    // Start empty and grow by doubling: a 64-slot array per idle mailbox cost ~530 B of heap.
    this.#queue = new RingBuffer<T>(0);
  }

  /** User messages waiting (not counting senders blocked by backpressure). */
  get size(): number {
    return this.#queue.length;
  }

  /** True when neither lane holds anything. */
  get isEmpty(): boolean {
    return this.#queue.length === 0 && (this.#system === undefined || this.#system.length === 0);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Senders currently waiting for room under `backpressure`. */
  get blockedSenders(): number {
    return this.#waiters === undefined ? 0 : this.#waiters.length;
  }

  /**
   * Offers a user message. Returns `undefined` when the message was accepted (or dropped by policy)
   * at once, or a promise that resolves once a full mailbox under `backpressure` has taken it.
   * Throws a `SWARM_ERR_MAILBOX_FULL` error under `fail`, and `SWARM_ERR_CLOSED` once closed; the
   * promise rejects with `SWARM_ERR_CLOSED` if the mailbox closes while the sender waits.
   */
  send(message: T): Promise<void> | undefined {
    if (this.#closed) {
      this.#refused++;
      throw new SwarmError(ErrorCode.Closed, 'mailbox is closed');
    }
    if (this.#queue.length < this.capacity && (this.#waiters === undefined || this.#waiters.length === 0)) {
      this.#accept(message);
      return undefined;
    }
    switch (this.overflow) {
      case 'backpressure':
        return new Promise<void>((resolve, reject) => {
          this.#waiters ??= new RingBuffer<Waiter<T>>(4);
          this.#waiters.push({ message, resolve, reject });
        });
      case 'dropTail':
        this.#droppedTail++;
        this.onDeadLetter?.(message, 'dropTail');
        return undefined;
      case 'dropHead': {
        const oldest = this.#queue.shift() as T;
        this.#droppedHead++;
        this.onDeadLetter?.(oldest, 'dropHead');
        this.#accept(message);
        return undefined;
      }
      case 'fail':
        this.#refused++;
        throw new SwarmError(ErrorCode.MailboxFull, `mailbox full (capacity ${this.capacity})`, {
          details: { capacity: this.capacity },
        });
    }
  }

  /** Queues a system signal: never bounded, never dropped, taken before any user message. */
  sendSystem(signal: S): void {
    if (this.#closed) return; // a closed mailbox's consumer is gone; signals have nobody to reach
    const wasEmpty = this.isEmpty;
    this.#system ??= [];
    this.#system.push(signal);
    if (wasEmpty) this.onReadable?.();
  }

  /** Takes the next system signal, if any. */
  shiftSystem(): S | undefined {
    const signal = this.#system?.shift();
    if (signal !== undefined) this.#systemDelivered++;
    return signal;
  }

  /** True when a system signal is waiting. */
  get hasSystem(): boolean {
    return this.#system !== undefined && this.#system.length > 0;
  }

  /** Takes the oldest user message (counted as delivered), or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#queue.length === 0) return undefined;
    const message = this.#queue.shift() as T;
    this.#delivered++;
    if (this.#waiters !== undefined && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift() as Waiter<T>;
      this.#accept(waiter.message);
      waiter.resolve();
    }
    return message;
  }

  /**
   * Closes the mailbox. Queued user messages go to dead letters with reason `closed`; blocked senders
   * are refused. Closing twice does nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#system = undefined;
    this.#queue.drainAll((m) => {
      this.#orphaned++;
      this.onDeadLetter?.(m, 'closed');
    });
    this.#waiters?.drainAll((w) => {
      this.#refused++;
      w.reject(new SwarmError(ErrorCode.Closed, 'mailbox closed while the sender waited for room'));
    });
  }

  /** Current counters. */
  counters(): MailboxCounters {
    return {
      enqueued: this.#enqueued,
      delivered: this.#delivered,
      droppedHead: this.#droppedHead,
      droppedTail: this.#droppedTail,
      orphaned: this.#orphaned,
      refused: this.#refused,
      highWater: this.#highWater,
      systemDelivered: this.#systemDelivered,
    };
  }

  #accept(message: T): void {
    const wasEmpty = this.isEmpty;
    this.#queue.push(message);
    this.#enqueued++;
    if (this.#queue.length > this.#highWater) this.#highWater = this.#queue.length;
    if (wasEmpty) this.onReadable?.();
  }
}
