/**
 * Server DSL: turns verb handlers into one `handle(message)` function (libswarm's `NewServer()`).
 * Dispatch order: the verb's handler, the catch-all, then a `not implemented` error reply. Whatever a
 * handler does, the request is finished afterwards: a throw becomes an `error` reply, and `ret` is
 * closed.
 * @module
 */
import type { Message, Verb } from './message.js';
import { refuse, reply } from './reply.js';
import { notImplemented } from './verbs.js';

/** Handles one request; may reply on `message.ret` any number of times before returning. */
export type VerbHandler = (message: Message) => void | Promise<void>;

/** Handles a request whose answer is a single value (sent as `reply` with that value as args). */
export type ValueHandler<R = unknown> = (args: unknown, message: Message) => R | Promise<R>;

/** A verb dispatcher with typed helpers. */
export class Server {
  readonly #handlers = new Map<Verb, VerbHandler>();
  #catchAll: VerbHandler | undefined;
  readonly #name: string;

  /** `name` appears in the `not implemented` reply, e.g. `stage simulator#2`. */
  constructor(name = 'this stage') {
    this.#name = name;
  }

  /** Registers the handler for `verb` (replacing any earlier one). */
  onVerb(verb: Verb, handler: VerbHandler): this {
    this.#handlers.set(verb, handler);
    return this;
  }

  /** Handles every verb without a handler of its own (e.g. to forward downstream). */
  catchAll(handler: VerbHandler): this {
    this.#catchAll = handler;
    return this;
  }

  /** `ls`: the value returned is sent as a `set` reply. */
  onLs(fn: ValueHandler): this {
    return this.onVerb('ls', this.#valueReply('set', fn));
  }

  /** `get`: the value returned is sent as a `set` reply. */
  onGet(fn: ValueHandler): this {
    return this.onVerb('get', this.#valueReply('set', fn));
  }

  /** `spawn`: the value returned (e.g. a new object's address or id) is sent as an `ack` reply. */
  onSpawn(fn: ValueHandler): this {
    return this.onVerb('spawn', this.#valueReply('ack', fn));
  }

  /** `start`: replies `ack` with the returned value. */
  onStart(fn: ValueHandler): this {
    return this.onVerb('start', this.#valueReply('ack', fn));
  }

  /** `stop`: replies `ack` with the returned value. */
  onStop(fn: ValueHandler): this {
    return this.onVerb('stop', this.#valueReply('ack', fn));
  }

  /** `attach`: the handler acks itself (usually with a stream) and may keep replying. */
  onAttach(handler: VerbHandler): this {
    return this.onVerb('attach', handler);
  }

  /** `watch`: the handler acks itself, then the reply channel carries notifications. */
  onWatch(handler: VerbHandler): this {
    return this.onVerb('watch', handler);
  }

  /** True when some handler (or the catch-all) would take `verb`. */
  handles(verb: Verb): boolean {
    return this.#handlers.has(verb) || this.#catchAll !== undefined;
  }

  /** Dispatches one request and finishes it: errors become `error` replies and `ret` is closed. */
  readonly handle = async (message: Message): Promise<void> => {
    const handler = this.#handlers.get(message.verb) ?? this.#catchAll;
    try {
      if (handler) await handler(message);
      else await reply(message, notImplemented(message.verb, this.#name));
    } catch (err) {
      // The requester may be gone already; failing to tell it is not the server's crash.
      refuse(message, err);
    } finally {
      message.ret?.close();
    }
  };

  #valueReply(verb: 'set' | 'ack', fn: ValueHandler): VerbHandler {
    return async (message) => {
      const value = await fn(message.args, message);
      await reply(message, { verb, args: value });
    };
  }
}
