/**
 * Forwarding one Docker request to the next stage and turning what comes back (or doesn't) into
 * something the HTTP edge can write: a `set` result, an `ack` stream, or a Docker-style error naming
 * this stage for timeouts, closed reply channels and unreachable downstreams.
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Message, Verb } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { isSwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import type { DockerArgs, DockerResult, DockerStreamResult } from './api.js';
import { errorArgsToHttp, type HttpError, httpError, statusOfErrorArgs } from './http-errors.js';
import { awaitReply, type ReplyOutcome } from './http-reply.js';

/** What the HTTP edge writes for a forwarded request. */
export type ForwardResult =
  | { kind: 'set'; result: DockerResult }
  | { kind: 'stream'; result: DockerStreamResult; stream: Duplex }
  | { kind: 'error'; error: HttpError }
  | { kind: 'cancelled' };

/** A forwarded request in flight. */
export interface Forwarded {
  readonly result: Promise<ForwardResult>;
  /** The client left: stop waiting; a stream that still arrives is destroyed. */
  cancel(): void;
}

/** Where requests go and how long to wait for them. */
export interface ForwardTarget {
  /** This stage's name, used in errors so the user knows which link failed. */
  name: string;
  downstream: Sender<Message> | undefined;
  clock: Clock;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Checks the shape of an answer; a stage sending garbage gets named rather than crashing us. */
function toForwardResult(reply: Message, name: string, op: string): ForwardResult {
  const args = reply.args;
  if (reply.verb === 'error') return { kind: 'error', error: errorArgsToHttp(args) };
  if (!isObject(args) || typeof args.status !== 'number') {
    reply.stream?.destroy();
    return { kind: 'error', error: httpError(500, `${name}: malformed ${reply.verb} reply to ${op}`) };
  }
  if (reply.verb === 'set') return { kind: 'set', result: args as unknown as DockerResult };
  const mode = args.mode;
  if (!reply.stream || (mode !== 'chunked' && mode !== 'raw-stream')) {
    reply.stream?.destroy();
    return {
      kind: 'error',
      error: httpError(500, `${name}: ${op} was acknowledged without a usable stream`),
    };
  }
  const result: DockerStreamResult = {
    status: args.status,
    mode,
    headers: isObject(args.headers) ? (args.headers as Record<string, string>) : {},
  };
  return { kind: 'stream', result, stream: reply.stream };
}

/**
 * Sends `verb` + `args` (and `stream`, e.g. stdin or an upload) downstream and waits up to `timeoutMs`
 * for the answer, counted from when `after` settles if given (the end of an upload).
 */
export function forwardRequest(
  target: ForwardTarget,
  verb: Verb,
  args: DockerArgs,
  timeoutMs: number,
  stream?: Duplex,
  after?: Promise<unknown>,
): Forwarded {
  const { name, downstream, clock } = target;
  if (!downstream) {
    stream?.destroy();
    const error = httpError(
      500,
      `${name} has no next stage to answer ${args.op}; chain a backend after it, e.g. "swarmd 'dockerserver' 'dockerclient unix:///var/run/docker.sock'"`,
    );
    return { result: Promise.resolve({ kind: 'error', error }), cancel() {} };
  }
  const waiter = awaitReply(clock, timeoutMs, after);
  const message: Message<DockerArgs> = { verb, args, ret: waiter.sender };
  if (stream) message.stream = stream;

  const sendFailed = (err: unknown): ForwardResult => {
    stream?.destroy();
    const code = isSwarmError(err) ? err.code : undefined;
    const status = statusOfErrorArgs({ message: '', ...(code ? { code } : {}) });
    return {
      kind: 'error',
      error: httpError(
        status,
        `${name}: cannot forward ${args.op} to the next stage: ${(err as Error).message}`,
      ),
    };
  };

  const answered = (outcome: ReplyOutcome): ForwardResult => {
    switch (outcome.kind) {
      case 'reply':
        return toForwardResult(outcome.message, name, args.op);
      case 'timeout':
        stream?.destroy();
        return {
          kind: 'error',
          error: httpError(
            504,
            `${name}: the next stage did not answer ${args.op} within ${timeoutMs / 1000} s`,
          ),
        };
      case 'eof':
        stream?.destroy();
        return {
          kind: 'error',
          error: httpError(
            500,
            `${name}: the next stage closed the reply channel without answering ${args.op}`,
          ),
        };
      case 'cancelled':
        stream?.destroy();
        return { kind: 'cancelled' };
    }
  };

  let pending: Promise<void> | undefined;
  try {
    pending = downstream.send(message as Message);
  } catch (err) {
    waiter.cancel();
    return { result: Promise.resolve(sendFailed(err)), cancel() {} };
  }
  // Accepted at once (the usual case: the next stage's mailbox had room): only the answer is awaited,
  // without a race and its promises per request.
  if (!pending) return { result: waiter.outcome.then(answered), cancel: () => waiter.cancel() };
  const sent = pending.then(() => undefined, sendFailed);
  const result = (async (): Promise<ForwardResult> => {
    const failed = await Promise.race([sent, waiter.outcome.then(() => undefined)]);
    if (failed) {
      waiter.cancel();
      return failed;
    }
    return answered(await waiter.outcome);
  })();
  return { result, cancel: () => waiter.cancel() };
}
