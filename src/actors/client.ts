/**
 * Client DSL: typed requests to any address that speaks the verb protocol (libswarm's `AsClient`).
 * Every request has a deadline on the injected clock; every failure is a typed SwarmError:
 * `SWARM_ERR_REMOTE` (an `error` reply, with its ErrorArgs in `details`), `SWARM_ERR_UNEXPECTED_EOF`
 * (the reply channel closed with no answer), `SWARM_ERR_UNEXPECTED_VERB`, `SWARM_ERR_DEADLINE_EXCEEDED`,
 * or whatever the send itself failed with (closed, connection lost).
 * @module
 */
import type { Duplex } from 'node:stream';
import { type Clock, systemClock } from '../clock.js';
import { DeadlineExceededError, ErrorCode, SwarmError } from '../errors.js';
import type { Sender } from '../libchan/types.js';
import type { ErrorArgs, Message, Verb } from './message.js';
import { ReplyQueue } from './reply.js';
import { expectedReplies, unexpectedVerb } from './verbs.js';

/** Options of a {@link Client}. */
export interface ClientOptions {
  clock?: Clock;
  /** Default deadline of each request in milliseconds. Default 30 000. */
  deadlineMs?: number;
}

/** Per-request options. */
export interface CallOptions {
  deadlineMs?: number;
  stream?: Duplex;
}

/** Turns an `error` reply into the typed error the caller sees. */
export function remoteError(reply: Message): SwarmError {
  const args = (reply.args ?? {}) as Partial<ErrorArgs>;
  return new SwarmError(ErrorCode.Remote, args.message ?? 'remote error', { details: { ...args } });
}

/** A typed client for one address. */
export class Client {
  readonly #target: Sender<Message>;
  readonly #clock: Clock;
  readonly #deadlineMs: number;

  constructor(target: Sender<Message>, options: ClientOptions = {}) {
    this.#target = target;
    this.#clock = options.clock ?? systemClock;
    this.#deadlineMs = options.deadlineMs ?? 30_000;
  }

  /**
   * Sends `verb` with `args` and resolves with the first reply that is not an `error`, plus an
   * iterator of any later replies. An `error` reply rejects with `SWARM_ERR_REMOTE`.
   */
  async request(
    verb: Verb,
    args: unknown,
    options: CallOptions = {},
  ): Promise<{ reply: Message; more: AsyncGenerator<Message> }> {
    const queue = new ReplyQueue();
    const deadlineMs = options.deadlineMs ?? this.#deadlineMs;
    const timer = this.#clock.setTimeout(
      () =>
        queue.fail(
          new DeadlineExceededError(`${verb}: no reply within ${deadlineMs} ms`, { details: { verb } }),
        ),
      deadlineMs,
    );
    try {
      const message: Message = { verb, args, ret: queue };
      if (options.stream) message.stream = options.stream;
      let pending: Promise<void> | undefined;
      try {
        pending = this.#target.send(message);
      } catch (err) {
        options.stream?.destroy(); // never sent: nobody else will end it
        throw err;
      }
      if (pending) await pending;
      const reply = await queue.first;
      if (reply.verb === 'error') {
        reply.stream?.destroy();
        throw remoteError(reply);
      }
      return { reply, more: queue.rest() };
    } catch (err) {
      queue.fail(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  /**
   * Sends `verb` and resolves with the first reply, which must be one of `expected` (by default the
   * catalog's replies for the verb, see {@link expectedReplies}).
   */
  async call(verb: Verb, args: unknown, expected?: readonly Verb[], options?: CallOptions): Promise<Message> {
    const allowed = expected ?? (expectedReplies(verb).length > 0 ? expectedReplies(verb) : ['ack', 'set']);
    const { reply } = await this.request(verb, args, options);
    if (!allowed.includes(reply.verb)) {
      reply.stream?.destroy();
      throw unexpectedVerb(verb, reply.verb, allowed);
    }
    return reply;
  }

  /** `ls` → the `set` reply's args. */
  async ls(args: unknown = {}, options?: CallOptions): Promise<unknown> {
    return (await this.call('ls', args, ['set'], options)).args;
  }

  /** `get` → the `set` reply's args. */
  async get(args: unknown = {}, options?: CallOptions): Promise<unknown> {
    return (await this.call('get', args, ['set'], options)).args;
  }

  /** `spawn` → the reply (`ack` or `set`), whose args name what was made. */
  spawn(args: unknown, options?: CallOptions): Promise<Message> {
    return this.call('spawn', args, ['ack', 'set'], options);
  }

  /** `start` → resolves on `ack`. */
  async start(args: unknown = {}, options?: CallOptions): Promise<void> {
    await this.call('start', args, ['ack', 'set'], options);
  }

  /** `stop` → resolves on `ack`. */
  async stop(args: unknown = {}, options?: CallOptions): Promise<void> {
    await this.call('stop', args, ['ack', 'set'], options);
  }

  /** `attach` → the `ack` (usually carrying a stream) and the replies that follow it. */
  attach(
    args: unknown = {},
    options?: CallOptions,
  ): Promise<{ reply: Message; more: AsyncGenerator<Message> }> {
    return this.request('attach', args, options);
  }

  /** `watch` → the `ack` and the notifications that follow it. */
  watch(
    args: unknown = {},
    options?: CallOptions,
  ): Promise<{ reply: Message; more: AsyncGenerator<Message> }> {
    return this.request('watch', args, options);
  }
}
