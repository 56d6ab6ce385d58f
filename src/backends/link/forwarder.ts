/**
 * The sending half of a link: forwards Messages over one top-level channel of a libchan session and
 * keeps track of the requests still waiting for their reply channel to close, so that when the
 * connection dies each of them is answered with a ConnectionLost error instead of hanging. Nothing
 * is retried: a request may have had effects on the far side, and only the caller can decide.
 * @module
 */
import type { Message } from '../../actors/message.js';
import { closeReply, ReplyProxy, replyError } from '../../actors/reply.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Session } from '../../libchan/index.js';
import type { Sender } from '../../libchan/types.js';

/** One request in flight: the caller's reply channel, wrapped. */
interface InFlight {
  fail(err: SwarmError): void;
}

/** Forwards requests over one session channel; see the module comment. */
export class LinkForwarder {
  readonly session: Session;
  readonly #channel: Sender<Message>;
  readonly #inflight = new Set<InFlight>();
  /** Builds the error an in-flight request gets when the link dies (names stage and URL). */
  readonly #lost: (cause: Error) => SwarmError;
  #sessionOver = false;

  constructor(session: Session, channel: Sender<Message>, lost: (cause: Error) => SwarmError) {
    this.session = session;
    this.#channel = channel;
    this.#lost = lost;
    void session.done.then(() => {
      this.#sessionOver = true;
    });
  }

  /** Requests whose reply channel is still open. */
  get inFlight(): number {
    return this.#inflight.size;
  }

  /**
   * Sends `message` across. Resolves when the request is finished (its reply channel closed) and
   * rejects with the ConnectionLost error if the link died first (after answering the caller).
   */
  forward(message: Message): Promise<void> {
    const ret = message.ret;
    if (!ret) {
      this.#send(message, () => message.stream?.destroy());
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: SwarmError) => {
        if (done) return false;
        done = true;
        // Replies after the end (or after a lost link was answered) are dropped.
        wrapped.cut();
        this.#inflight.delete(entry);
        if (err) {
          replyError(ret, err);
          reject(err);
        } else {
          closeReply(ret);
          resolve();
        }
        return true;
      };
      const entry: InFlight = { fail: (err) => void finish(err) };
      // An abort caused by the whole session dying is left to failAll, which the owner calls when
      // it knows why (exec waits for the exit status); one reply channel reset alone ends here.
      const aborted = (err: Error) =>
        setImmediate(() => {
          if (!this.#sessionOver) finish(this.#asLost(err));
        });
      // The reply channel sent across in place of the caller's: it notices the end of the request
      // (close) and a broken link (the session aborts it).
      const wrapped = new ReplyProxy(ret, { onClose: () => finish(), onAbort: aborted });
      this.#inflight.add(entry);
      this.#send({ ...message, ret: wrapped }, (err) => finish(this.#asLost(err)));
    });
  }

  /** Answers every request in flight with the link's ConnectionLost error. The owner calls it once the session is over. */
  failAll(cause: Error): void {
    const err = this.#asLost(cause);
    for (const entry of [...this.#inflight]) entry.fail(err);
  }

  #asLost(cause: Error): SwarmError {
    return cause instanceof SwarmError &&
      cause.code !== ErrorCode.ConnectionLost &&
      cause.code !== ErrorCode.Closed
      ? cause
      : this.#lost(cause);
  }

  #send(message: Message, onError: (err: Error) => void): void {
    try {
      const p = this.#channel.send(message);
      p?.catch((err: unknown) => onError(err as Error));
    } catch (err) {
      onError(err as Error);
    }
  }
}
