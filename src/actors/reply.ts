/**
 * Replies: the one place that sends them and the few reply channels the runtime and its stages need.
 *
 * Sending (a request is finished when its `ret` is closed, PROTOCOL.md "Replies"):
 * - {@link replyOnce}: send one reply and close `ret`; a requester that is gone is not the replier's crash.
 * - {@link replyError}: the same with the `error` reply {@link errorReply} builds from an error.
 * - {@link refuse}: a request that will not be served: its stream is destroyed, then {@link replyError}.
 * - {@link sendReply}: one reply of several (the channel stays open), never throwing.
 *
 * Reply channels (each a {@link Sender} to put in a request's `ret`):
 * - {@link OneShotReply}: the first reply goes to a callback (ask, a front end, an aggregate's calls);
 *   {@link replyPromise} is the same as a promise.
 * - {@link ReplyQueue}: the first reply and every later one until close (the Client DSL).
 * - {@link ReplyProxy}: stands in front of another reply channel: never throws when the requester is
 *   gone, lets its owner see each reply, the close and a broken link, and can be cut off.
 * @module
 */
import { ErrorCode, isSwarmError, SwarmError, toError } from '../errors.js';
import { type Abortable, isSender, kAbort, kSender, type Sender } from '../libchan/types.js';
import type { ErrorArgs, Message } from './message.js';

/** Where a reply goes: a reply channel, or the request whose `ret` it is (none: the request was one-way). */
export type ReplyTo = Sender<Message> | Message | undefined;

/** What an `error` reply says when the error itself does not say it. */
export interface ErrorReplyDefaults {
  /** The `code` of an error that is not a SwarmError (a SwarmError always gives its own). */
  code?: string;
  /** The `status` when the error has no numeric `details.status`. */
  status?: number;
}

/**
 * Builds the `error` reply for `err`: `{message, code?, status?}`. `code` is a SwarmError's code (else
 * `defaults.code`), `status` its numeric `details.status` (else `defaults.status`); the HTTP edge maps a
 * missing status from the code.
 */
export function errorReply(err: unknown, defaults?: ErrorReplyDefaults): Message<ErrorArgs> {
  const e = toError(err);
  const swarm = isSwarmError(e);
  const explicit = swarm ? e.details?.status : undefined;
  const args: ErrorArgs = { message: e.message };
  const code = swarm ? e.code : defaults?.code;
  if (code !== undefined) args.code = code;
  const status = typeof explicit === 'number' ? explicit : defaults?.status;
  if (status !== undefined) args.status = status;
  return { verb: 'error', args };
}

/** The reply channel of `to`: `to` itself when it is a Sender, else the request's `ret`. */
export function replyChannel(to: ReplyTo): Sender<Message> | undefined {
  if (to === undefined) return undefined;
  return isSender(to) ? (to as Sender<Message>) : to.ret;
}

/** Sends `answer` to `message.ret` if the request has one; replies to one-way messages are dropped. */
export function reply(message: Message, answer: Message): void | Promise<void> {
  return message.ret?.send(answer);
}

/**
 * Sends one reply on a channel that may already be gone (its session died, its requester left) and
 * leaves it open: a failure is not the replier's crash, and a lost reply's stream is destroyed so
 * nothing leaks. The promise (backpressure) never rejects.
 */
export function sendReply(ret: Sender<Message>, answer: Message): Promise<void> | undefined {
  try {
    const pending = ret.send(answer);
    return pending?.catch(() => {
      answer.stream?.destroy();
    });
  } catch {
    answer.stream?.destroy();
    return undefined;
  }
}

/** Closes a reply channel whose other end may be gone. */
export function closeReply(ret: Sender<Message> | undefined): void {
  try {
    ret?.close();
  } catch {
    // the requester is gone; nobody is left to tell
  }
}

/**
 * Answers a request with `answer` and finishes it (closes `ret`). Never throws: with no channel, a
 * closed one or a refused send, `answer`'s stream is destroyed instead. The promise is the send's
 * backpressure (it never rejects); the channel is closed at once either way.
 */
export function replyOnce(to: ReplyTo, answer: Message): Promise<void> | undefined {
  const ret = replyChannel(to);
  if (ret === undefined || ret.closed) {
    answer.stream?.destroy();
    return undefined;
  }
  const pending = sendReply(ret, answer);
  closeReply(ret);
  return pending;
}

/**
 * Answers a request with the `error` reply for `err` ({@link errorReply}) and finishes it, unless its
 * channel is already closed. Never throws: a requester that is gone is nobody's crash.
 */
export function replyError(to: ReplyTo, err: unknown, defaults?: ErrorReplyDefaults): void {
  const ret = replyChannel(to);
  if (ret === undefined || ret.closed) return;
  void replyOnce(ret, errorReply(err, defaults));
}

/** Refuses a request: destroys the stream it carried (nobody will read it), then {@link replyError}. */
export function refuse(message: Message | undefined, err: unknown, defaults?: ErrorReplyDefaults): void {
  if (message === undefined) return;
  message.stream?.destroy();
  replyError(message.ret, err, defaults);
}

/** Destroys the byte stream a dropped value carries, if it is a message with one. */
function drop(value: unknown): void {
  (value as { stream?: { destroy?: () => void } } | null | undefined)?.stream?.destroy?.();
}

/**
 * A reply channel for one answer. The first value that `counts` (default: every value) goes to
 * `onReply`; a value before it that does not count, and every value after it, is dropped (a stream it
 * carries is destroyed), so a server may stream more replies than the asker reads. `close()` before
 * the answer calls `onEnd` with `SWARM_ERR_UNEXPECTED_EOF`; {@link OneShotReply.fail} calls it with its
 * error (a broken link closes it: no {@link kAbort}). Once closed or failed, `send` throws
 * `SWARM_ERR_CLOSED`. Callbacks rather than a promise: the runtime's `ask` and an aggregate's fan-out
 * make one of these per request.
 */
export class OneShotReply<R = Message> implements Sender<R> {
  declare readonly [kSender]: true;
  #closed = false;
  #answered = false;
  readonly #onReply: (value: R) => void;
  readonly #onEnd: (err: Error) => void;
  readonly #counts: ((value: R) => boolean) | undefined;

  constructor(onReply: (value: R) => void, onEnd: (err: Error) => void, counts?: (value: R) => boolean) {
    this.#onReply = onReply;
    this.#onEnd = onEnd;
    this.#counts = counts;
  }

  /** True once closed or failed (not merely answered: later replies are still taken, and dropped). */
  get closed(): boolean {
    return this.#closed;
  }

  send(value: R): undefined {
    if (this.#closed) {
      throw new SwarmError(
        ErrorCode.Closed,
        'reply channel is closed (reply already sent, or the request ended)',
      );
    }
    if (this.#answered || (this.#counts !== undefined && !this.#counts(value))) {
      drop(value);
      return undefined;
    }
    this.#answered = true;
    this.#onReply(value);
    return undefined;
  }

  close(): void {
    // The common case is a close after the answer: no error (and no stack trace) is built for it.
    if (this.#answered || this.#closed) {
      this.#closed = true;
      return;
    }
    this.fail(new SwarmError(ErrorCode.UnexpectedEof, 'reply channel closed without a reply'));
  }

  /** Ends the request with `err` (deadline, the asker gave up); ignored once closed. */
  fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#answered) return;
    this.#answered = true;
    this.#onEnd(err);
  }
}
// On the prototype, not per instance: one fewer field on the ask hot path.
Object.defineProperty(OneShotReply.prototype, kSender, { value: true, enumerable: false });

/**
 * A {@link OneShotReply} as a promise: `first` settles with the first reply, or rejects with
 * `SWARM_ERR_UNEXPECTED_EOF` when the channel closes without one.
 */
export function replyPromise(): { sender: OneShotReply<Message>; first: Promise<Message> } {
  let sender!: OneShotReply<Message>;
  const first = new Promise<Message>((resolve, reject) => {
    sender = new OneShotReply<Message>(resolve, reject);
  });
  return { sender, first };
}

/**
 * Collects the replies to one request: the first settles {@link ReplyQueue.first}; later ones queue
 * for {@link ReplyQueue.rest}. Bounded by the request's lifetime, not by a count: a stage that
 * streams notifications on a reply channel must be read (or the channel closed) by its caller.
 */
export class ReplyQueue implements Sender<Message>, Abortable {
  readonly [kSender] = true as const;
  /** The first reply; rejects when the request ends without one. */
  readonly first: Promise<Message>;
  #resolveFirst!: (m: Message) => void;
  #rejectFirst!: (e: Error) => void;
  #gotFirst = false;
  #closed = false;
  #error: Error | undefined;
  readonly #later: Message[] = [];
  #wake: (() => void) | undefined;

  constructor() {
    this.first = new Promise<Message>((resolve, reject) => {
      this.#resolveFirst = resolve;
      this.#rejectFirst = reject;
    });
    // A request that failed before anyone awaited its reply must not surface as an unhandled rejection.
    this.first.catch(() => {});
  }

  /** True once closed, failed or aborted. */
  get closed(): boolean {
    return this.#closed;
  }

  send(message: Message): undefined {
    if (this.#closed) throw new SwarmError(ErrorCode.Closed, 'reply channel is closed');
    if (!this.#gotFirst) {
      this.#gotFirst = true;
      this.#resolveFirst(message);
    } else {
      this.#later.push(message);
      this.#wake?.();
    }
    return undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#gotFirst) {
      this.#gotFirst = true;
      this.#rejectFirst(new SwarmError(ErrorCode.UnexpectedEof, 'reply channel closed before any reply'));
    }
    this.#wake?.();
  }

  /** Fails a request still waiting for its first reply; replies queued after it are dropped. */
  fail(err: Error): void {
    if (!this.#gotFirst) {
      this.#gotFirst = true;
      this.#rejectFirst(err);
    }
    this.#closed = true;
    for (const m of this.#later.splice(0)) m.stream?.destroy();
    this.#wake?.();
  }

  /**
   * The reply channel broke (a session proxying it lost its connection): a request still waiting
   * fails with that error (ConnectionLost), and {@link ReplyQueue.rest} throws it after the replies
   * that did arrive — never mistaken for a clean end.
   */
  [kAbort](err: Error): void {
    if (!this.#gotFirst) {
      this.fail(err);
      return;
    }
    this.#error ??= err;
    this.#closed = true;
    this.#wake?.();
  }

  /** The replies after the first, until the channel closes; throws if it broke instead. */
  async *rest(): AsyncGenerator<Message> {
    for (;;) {
      const next = this.#later.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#closed) {
        if (this.#error) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}

/** What the owner of a {@link ReplyProxy} sees of the replies passing through it. */
export interface ReplyProxyHooks {
  /** Sees each reply before it is passed on; `first` is true for the first one. */
  onReply?(reply: Message, first: boolean): void;
  /** The request is finished: called instead of closing the target (the hook closes it, or not). */
  onClose?(): void;
  /** The channel broke: called instead of aborting the target. */
  onAbort?(err: Error): void;
}

/**
 * A reply channel in front of another one (`target`, the requester's). Passes replies on with
 * {@link sendReply}, so a requester that is gone never makes the replying stage throw; counts them
 * and shows each to {@link ReplyProxyHooks.onReply} first (a debug log, an aggregate watching the
 * first answer); lets its owner take over close and abort (a link tracking its requests in flight).
 * {@link ReplyProxy.cut} detaches it: later replies are dropped, their streams destroyed, and `target`
 * is left to the owner. A class, not an object literal, so a session can carry it like any channel.
 */
export class ReplyProxy implements Sender<Message>, Abortable {
  readonly [kSender] = true as const;
  readonly #target: Sender<Message> | undefined;
  readonly #hooks: ReplyProxyHooks;
  #replies = 0;
  #closed = false;
  #cut = false;

  constructor(target: Sender<Message> | undefined, hooks: ReplyProxyHooks = {}) {
    this.#target = target;
    this.#hooks = hooks;
  }

  /** Replies passed on so far. */
  get replies(): number {
    return this.#replies;
  }

  /** True once closed, cut, or the target is closed. */
  get closed(): boolean {
    return this.#closed || this.#cut || (this.#target?.closed ?? false);
  }

  send(answer: Message): Promise<void> | undefined {
    if (this.#cut) {
      answer.stream?.destroy();
      return undefined;
    }
    const first = this.#replies++ === 0;
    this.#hooks.onReply?.(answer, first);
    if (this.#cut || this.#target === undefined) {
      answer.stream?.destroy();
      return undefined;
    }
    return sendReply(this.#target, answer);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#cut) return;
    if (this.#hooks.onClose) this.#hooks.onClose();
    else closeReply(this.#target);
  }

  /** Detaches from the target: later replies are dropped and the target is the owner's to answer. */
  cut(): void {
    this.#cut = true;
  }

  [kAbort](err: Error): void {
    if (this.#hooks.onAbort) {
      this.#hooks.onAbort(err);
      return;
    }
    if (this.#cut || this.#target === undefined) return;
    this.#closed = true;
    const abort = (this.#target as Partial<Abortable>)[kAbort];
    try {
      if (typeof abort === 'function') abort.call(this.#target, err);
      else this.#target.close();
    } catch {
      // the requester is gone
    }
  }
}
