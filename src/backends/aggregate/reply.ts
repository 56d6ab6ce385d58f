/**
 * Small reply helpers: a one-shot reply sink (so the aggregate can ask a child and await its answer),
 * a pass-through reply proxy (so a forwarded request's replies reach the client while the aggregate
 * watches the first one), and typed `set` / `error` replies.
 * @module
 */
import type { ErrorArgs, Message } from '../../actors/message.js';
import { ErrorCode, type SwarmError } from '../../errors.js';
import { kSender, type Sender } from '../../libchan/types.js';
import type { DockerResult } from '../docker/api.js';
import { statusOfErrorArgs } from '../docker/http-errors.js';

/**
 * A Sender whose first value goes to `onFirst`; later values are dropped (a streamed reply travels
 * inside the first message, so their streams are destroyed). Closing before any value calls `onEmpty`.
 * Callbacks, not a promise: the aggregate makes one of these per node per fan-out.
 */
export function replyCallback(onFirst: (m: Message) => void, onEmpty: () => void): Sender<Message> {
  let got = false;
  let closed = false;
  return {
    [kSender]: true,
    send(value) {
      if (!got) {
        got = true;
        onFirst(value);
      } else value.stream?.destroy();
      return undefined;
    },
    close() {
      closed = true;
      if (got) return;
      got = true;
      onEmpty();
    },
    get closed() {
      return closed;
    },
  };
}

/**
 * A Sender whose first value settles `first`; later values are dropped (a streamed reply travels inside
 * the first message). Closing before any value rejects `first` with `SWARM_ERR_UNEXPECTED_EOF`.
 */
export function replySink(): { sender: Sender<Message>; first: Promise<Message> } {
  let sender!: Sender<Message>;
  const first = new Promise<Message>((resolve, reject) => {
    sender = replyCallback(resolve, () => reject(eof()));
  });
  return { sender, first };
}

/**
 * Wraps `target` so `onFirst` sees the first reply before it is passed on. Returns the wrapper and a
 * `cut` function that detaches it: after `cut`, late replies are dropped (their streams destroyed) and
 * `target` is left to the caller.
 */
export function replyProxy(
  target: Sender<Message> | undefined,
  onFirst: (m: Message) => void,
): { sender: Sender<Message>; cut: () => void } {
  let seen = false;
  let cut = false;
  let closed = false;
  const sender: Sender<Message> = {
    [kSender]: true,
    send(value) {
      if (cut) {
        value.stream?.destroy();
        return undefined;
      }
      if (!seen) {
        seen = true;
        onFirst(value);
      }
      return target?.send(value);
    },
    close() {
      closed = true;
      if (!cut) target?.close();
    },
    get closed() {
      return closed || cut;
    },
  };
  return {
    sender,
    cut: () => {
      cut = true;
    },
  };
}

/** Sends a complete answer and closes `ret`. */
export function replySet(ret: Sender<Message> | undefined, result: DockerResult): void {
  if (!ret || ret.closed) return;
  void ret.send({ verb: 'set', args: result })?.catch(() => {});
  ret.close();
}

/**
 * The HTTP status a Docker front end should use for a SwarmError: its explicit `details.status`, else
 * the front end's own mapping of its code (one table for every stage, in http-errors.ts).
 */
export function statusOf(err: SwarmError): number {
  const explicit = err.details?.status;
  if (typeof explicit === 'number') return explicit;
  return statusOfErrorArgs({ message: err.message, code: err.code });
}

/** Sends an `error` reply built from a SwarmError and closes `ret`. */
export function replyError(ret: Sender<Message> | undefined, err: SwarmError): void {
  if (!ret || ret.closed) return;
  const args: ErrorArgs = { message: err.message, code: err.code, status: statusOf(err) };
  void ret.send({ verb: 'error', args })?.catch(() => {});
  ret.close();
}

function eof(): Error {
  return Object.assign(new Error('the child closed its reply channel without answering'), {
    code: ErrorCode.UnexpectedEof,
  });
}
