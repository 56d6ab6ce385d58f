/**
 * Request/reply over a one-shot reply channel. The reply channel is a tiny {@link Sender} (a
 * {@link OneShotReply}: one object, no queue, no id) so a round trip costs little more than two
 * mailbox hops.
 * @module
 */
import { type Clock, systemClock } from '../clock.js';
import { DeadlineExceededError } from '../errors.js';
import type { Sender } from '../libchan/types.js';
import { OneShotReply } from './reply.js';

/** Options of {@link ask}. */
export interface AskOptions {
  /** Milliseconds from now (on `clock`) before the ask rejects with `SWARM_ERR_DEADLINE_EXCEEDED`. */
  deadline?: number;
  /** Time source for the deadline (default the system clock). */
  clock?: Clock;
}

/**
 * Sends `build(replyTo)` to `target` and resolves with the first value sent on `replyTo` (later ones
 * are dropped; once the ask is over, sends throw `SWARM_ERR_CLOSED`). Rejects when the send is
 * refused, the reply channel closes empty (`SWARM_ERR_UNEXPECTED_EOF`), or the deadline passes (the
 * timer is always cleared, so none is left behind).
 */
export function ask<T, R>(
  target: Sender<T>,
  build: (replyTo: Sender<R>) => T,
  options?: AskOptions,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const deadline = options?.deadline;
    let reply: OneShotReply<R>;
    if (deadline === undefined) reply = new OneShotReply<R>(resolve, reject);
    else {
      const clock = options?.clock ?? systemClock;
      const timer = clock.setTimeout(
        () =>
          reply.fail(new DeadlineExceededError(`no reply within ${deadline} ms`, { details: { deadline } })),
        deadline,
      );
      reply = new OneShotReply<R>(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (err) => {
          clock.clearTimeout(timer);
          reject(err);
        },
      );
    }
    try {
      const pending = target.send(build(reply));
      if (pending !== undefined) pending.then(undefined, (err: Error) => reply.fail(err));
    } catch (err) {
      reply.fail(err as Error);
    }
  });
}
