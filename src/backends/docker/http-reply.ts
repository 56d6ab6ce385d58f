/**
 * A one-shot reply channel for a request the front end forwards: a {@link Sender} to put in the
 * message's `ret`, and a promise of the first answer (`set`, `ack` or `error`) or of why none came
 * (deadline, channel closed, client gone). Small and local on purpose: it implements the libchan
 * Sender contract for exactly one request with a deadline on the injected clock, nothing more.
 * @module
 */
import type { Message } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import { kSender, type Sender } from '../../libchan/types.js';

/** How a forwarded request ended, from the front end's point of view. */
export type ReplyOutcome =
  | { kind: 'reply'; message: Message }
  | { kind: 'timeout' }
  | { kind: 'eof' }
  | { kind: 'cancelled' };

/** A pending request's reply channel. */
export interface ReplyWaiter {
  /** Goes into the request's `ret`. */
  readonly sender: Sender<Message>;
  /** Settles once, never rejects. */
  readonly outcome: Promise<ReplyOutcome>;
  /** The client went away: settle as `cancelled`; any stream that still arrives is destroyed. */
  cancel(): void;
}

const ANSWERS = new Set(['set', 'ack', 'error']);

/** Opens a reply channel that settles on the first answer or after `timeoutMs` on `clock`. */
export function awaitReply(clock: Clock, timeoutMs: number): ReplyWaiter {
  let settled = false;
  let closed = false;
  let resolve!: (o: ReplyOutcome) => void;
  const outcome = new Promise<ReplyOutcome>((r) => {
    resolve = r;
  });
  const settle = (o: ReplyOutcome) => {
    if (settled) return;
    settled = true;
    clock.clearTimeout(timer);
    resolve(o);
  };
  const timer = clock.setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);

  const sender: Sender<Message> = {
    [kSender]: true,
    send(message: Message) {
      if (closed) throw new SwarmError(ErrorCode.Closed, 'reply channel is closed');
      // Only the first answer counts; a stream on anything later (or after a timeout / cancel) has
      // no reader, so destroy it rather than leak it.
      if (settled || !ANSWERS.has(message.verb)) {
        message.stream?.destroy();
        return undefined;
      }
      settle({ kind: 'reply', message });
      return undefined;
    },
    close() {
      closed = true;
      settle({ kind: 'eof' });
    },
    get closed() {
      return closed;
    },
  };

  return {
    sender,
    outcome,
    cancel() {
      closed = true;
      settle({ kind: 'cancelled' });
    },
  };
}
