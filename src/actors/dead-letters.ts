/**
 * The system's dead-letter office: every message that was neither delivered nor refused to its
 * sender ends here with a reason, so nothing is silently lost. Counting costs two increments;
 * subscribers are optional.
 * @module
 */
import type { DeadLetterReason as MailboxDeadLetterReason } from '../mailbox/index.js';

/** Why a message became a dead letter: a mailbox policy (`dropHead`, `dropTail`, `closed`) or `stopped`. */
export type DeadLetterReason = MailboxDeadLetterReason | 'stopped';

/** One dead letter. `recipient` is the actor id it was addressed to. */
export interface DeadLetter {
  message: unknown;
  reason: DeadLetterReason;
  recipient: string;
}

/** Receives dead letters as they happen. */
export type DeadLetterListener = (letter: DeadLetter) => void;

/** Counts of dead letters by reason. */
export interface DeadLetterCounters {
  total: number;
  dropHead: number;
  dropTail: number;
  closed: number;
  stopped: number;
}

/** Collects dead letters of one actor system: counters plus subscriptions. */
export class DeadLetters {
  #listeners: DeadLetterListener[] = [];
  #counters: DeadLetterCounters = { total: 0, dropHead: 0, dropTail: 0, closed: 0, stopped: 0 };

  /** Records one dead letter and hands it to every subscriber (a throwing subscriber is ignored). */
  publish(message: unknown, reason: DeadLetterReason, recipient: string): void {
    this.#counters.total++;
    this.#counters[reason]++;
    if (this.#listeners.length === 0) return;
    const letter: DeadLetter = { message, reason, recipient };
    for (const listener of this.#listeners) {
      try {
        listener(letter);
      } catch {
        // a faulty listener must not turn a dead letter into a lost one for the others
      }
    }
  }

  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: DeadLetterListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** A copy of the counters. */
  counters(): DeadLetterCounters {
    return { ...this.#counters };
  }
}
