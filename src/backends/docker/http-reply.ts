/**
 * The reply channel of a request the front end forwards: the runtime's {@link OneShotReply} to put
 * in the message's `ret`, and a promise of the first answer (`set`, `ack` or `error`) or of why none
 * came (deadline, channel closed, client gone), with the deadline on the injected clock.
 * @module
 */
import type { Message } from '../../actors/message.js';
import { OneShotReply } from '../../actors/reply.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';

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

const CANCELLED = new SwarmError(ErrorCode.Closed, 'the client went away');

/** What a close without a reply ends the wait with; nobody reads its stack, so it is built once. */
const CLOSED = new SwarmError(ErrorCode.UnexpectedEof, 'reply channel closed without a reply');

/**
 * The runtime's one-shot reply channel, closed with the prebuilt {@link CLOSED}: every answered request
 * is closed right after its answer, and `OneShotReply.close()` built a fresh error (and its stack) each
 * time, 3.7 % of a pass-through request's CPU.
 */
class FrontReply extends OneShotReply<Message> {
  override close(): void {
    this.fail(CLOSED);
  }
}

/**
 * Opens a reply channel that settles on the first answer or after `timeoutMs` on `clock`, counted from
 * when `after` settles if given (a request body still streaming up: the answer comes after it).
 */
export function awaitReply(clock: Clock, timeoutMs: number, after?: Promise<unknown>): ReplyWaiter {
  let settled = false;
  let resolve!: (o: ReplyOutcome) => void;
  const outcome = new Promise<ReplyOutcome>((r) => {
    resolve = r;
  });
  let timer: TimerHandle | undefined;
  const settle = (o: ReplyOutcome) => {
    if (settled) return;
    settled = true;
    if (timer !== undefined) clock.clearTimeout(timer);
    resolve(o);
  };
  const arm = () => {
    if (!settled) timer = clock.setTimeout(() => settle({ kind: 'timeout' }), timeoutMs);
  };
  if (after) after.then(arm, arm);
  else arm();
  // Only the first answer counts; anything before it (a log line) or after it, or after a timeout,
  // has no reader, so its stream is destroyed rather than leaked.
  const sender = new FrontReply(
    (message) => {
      if (settled) message.stream?.destroy();
      else settle({ kind: 'reply', message });
    },
    (err) => settle(err === CANCELLED ? { kind: 'cancelled' } : { kind: 'eof' }),
    (message) => ANSWERS.has(message.verb),
  );
  return { sender, outcome, cancel: () => sender.fail(CANCELLED) };
}
