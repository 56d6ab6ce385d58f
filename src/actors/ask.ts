/**
 * Request/reply over a one-shot reply channel. The reply channel is a tiny {@link Sender} (one object,
 * no queue, no id) so a round trip costs little more than two mailbox hops.
 * @module
 */
import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { DeadlineExceededError, ErrorCode, SwarmError } from '../errors.js';
import { kSender, type Sender } from '../libchan/types.js';

/** Options of {@link ask}. */
export interface AskOptions {
  /** Milliseconds from now (on `clock`) before the ask rejects with `SWARM_ERR_DEADLINE_EXCEEDED`. */
  deadline?: number;
  /** Time source for the deadline (default the system clock). */
  clock?: Clock;
}

/**
 * A Sender that accepts exactly one value. The first `send` settles the ask; later sends throw
 * `SWARM_ERR_CLOSED`. `close()` before any value rejects the ask with `SWARM_ERR_UNEXPECTED_EOF`.
 */
class ReplyOnce<R> implements Sender<R> {
  declare readonly [kSender]: true;
  closed = false;
  timer: TimerHandle | undefined;
  clock: Clock | undefined;
  readonly resolve: (value: R) => void;
  readonly reject: (err: Error) => void;

  constructor(resolve: (value: R) => void, reject: (err: Error) => void) {
    this.resolve = resolve;
    this.reject = reject;
  }

  send(value: R): undefined {
    if (this.closed) throw new SwarmError(ErrorCode.Closed, 'reply already sent');
    this.#settle();
    this.resolve(value);
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.#settle();
    this.reject(new SwarmError(ErrorCode.UnexpectedEof, 'reply channel closed without a reply'));
  }

  fail(err: Error): void {
    if (this.closed) return;
    this.#settle();
    this.reject(err);
  }

  #settle(): void {
    this.closed = true;
    if (this.timer !== undefined) (this.clock as Clock).clearTimeout(this.timer);
  }
}
Object.defineProperty(ReplyOnce.prototype, kSender, { value: true, enumerable: false });

/**
 * Sends `build(replyTo)` to `target` and resolves with the first value sent on `replyTo`. Rejects when
 * the send is refused, the reply channel closes empty, or the deadline passes (the timer is always
 * cleared, so none is left behind).
 */
export function ask<T, R>(
  target: Sender<T>,
  build: (replyTo: Sender<R>) => T,
  options?: AskOptions,
): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const reply = new ReplyOnce<R>(resolve, reject);
    const deadline = options?.deadline;
    if (deadline !== undefined) {
      const clock = options?.clock ?? systemClock;
      reply.clock = clock;
      reply.timer = clock.setTimeout(
        () =>
          reply.fail(new DeadlineExceededError(`no reply within ${deadline} ms`, { details: { deadline } })),
        deadline,
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
