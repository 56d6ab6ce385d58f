/**
 * In-process channels: {@link pipe} and {@link bufferedPipe}, backed by the bounded {@link Mailbox}.
 * Values travel by reference (never encoded). The same core also backs the receiving end of a
 * session channel, which is why it has hooks for "a value was taken" and "the receiver cancelled".
 * @module
 */
import { ErrorCode, SwarmError } from '../errors.js';
import { Mailbox } from '../mailbox/index.js';
import { EOF, kAbort, kMove, kReceiver, kSender, type Receiver, type Sender } from './types.js';

/** Hooks a session (or the memory transport) attaches to a pipe core. */
export interface PipeHooks {
  /** A value left the queue (a session refunds credit here). */
  onTake?: () => void;
  /** The receiver closed before EOF (a session sends RESET CANCEL here). */
  onCancel?: () => void;
  /** The channel is finished for good: EOF reached, cancelled, or failed and drained. Called once. */
  onFinish?: () => void;
}

interface Waiter<T> {
  resolve: (v: T | EOF) => void;
  reject: (err: Error) => void;
}

/** The error for using an end after it was sent to another process. */
export function movedError(): SwarmError {
  return new SwarmError(ErrorCode.Moved, 'this channel end was sent away; ownership moved with the value');
}

/**
 * Shared state of one in-process channel. Single consumer. Internal: use {@link pipe}.
 * @internal
 */
export class PipeCore<T> {
  readonly mailbox: Mailbox<T>;
  hooks: PipeHooks;
  /** Sender half-closed: EOF once the queue is drained. */
  ended = false;
  /** Receiver closed: senders are refused. */
  cancelled = false;
  /** Failure (connection lost, reset): receive rejects after the queue is drained. */
  error: Error | undefined;
  #waiters: Waiter<T>[] = [];
  #finished = false;

  constructor(capacity: number, hooks: PipeHooks = {}, overflow: 'backpressure' | 'fail' = 'backpressure') {
    this.hooks = hooks;
    this.mailbox = new Mailbox<T>({ capacity, overflow, onReadable: () => this.#wake() });
  }

  send(value: T): Promise<void> | undefined {
    if (this.error) throw this.error;
    if (this.cancelled) throw new SwarmError(ErrorCode.Closed, 'the receiver closed the channel');
    if (this.ended) throw new SwarmError(ErrorCode.Closed, 'the sender already closed the channel');
    return this.mailbox.send(value);
  }

  receive(): Promise<T | EOF> {
    if (this.mailbox.size > 0) return Promise.resolve(this.take());
    if (this.error) {
      this.#finish();
      return Promise.reject(this.error);
    }
    if (this.ended || this.cancelled) {
      this.#finish();
      return Promise.resolve(EOF);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Takes one queued value; the caller checked that one is there. */
  take(): T {
    const v = this.mailbox.shift() as T;
    this.hooks.onTake?.();
    if (this.mailbox.size === 0 && (this.ended || this.error)) this.#finish();
    return v;
  }

  /** Sender side: half-close. Values already queued are still delivered. */
  end(): void {
    if (this.ended || this.cancelled || this.error) return;
    this.ended = true;
    if (this.mailbox.size === 0) {
      this.#flushWaiters();
      this.#finish();
    }
  }

  /** Receiver side: stop the sender. Queued values are dropped (dead-lettered by the mailbox). */
  cancel(): void {
    if (this.cancelled) return;
    const notify = !this.ended && !this.error;
    this.cancelled = true;
    this.mailbox.close();
    this.#flushWaiters();
    if (notify) this.hooks.onCancel?.();
    this.#finish();
  }

  /** Fails the channel: queued values are still delivered, then every receive rejects with `err`. */
  fail(err: Error): void {
    if (this.error || this.cancelled) return;
    if (this.ended && this.mailbox.size === 0) return; // already finished cleanly
    this.error = err;
    if (this.mailbox.size === 0) {
      this.#flushWaiters();
      this.#finish();
    }
  }

  get senderClosed(): boolean {
    return this.ended || this.cancelled || this.error !== undefined;
  }

  get receiverClosed(): boolean {
    return this.cancelled || ((this.ended || this.error !== undefined) && this.mailbox.size === 0);
  }

  #wake(): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(this.take());
  }

  #flushWaiters(): void {
    const ws = this.#waiters;
    if (ws.length === 0) return;
    this.#waiters = [];
    for (const w of ws) {
      if (this.error) w.reject(this.error);
      else w.resolve(EOF);
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.hooks.onFinish?.();
  }
}

/** The sending end of an in-process channel. */
export class PipeSender<T = unknown> implements Sender<T> {
  readonly [kSender] = true as const;
  #core: PipeCore<T>;
  #moved = false;

  constructor(core: PipeCore<T>) {
    this.#core = core;
  }

  send(value: T): Promise<void> | undefined {
    if (this.#moved) throw movedError();
    return this.#core.send(value);
  }

  close(): void {
    if (this.#moved) return;
    this.#core.end();
  }

  get closed(): boolean {
    return this.#moved || this.#core.senderClosed;
  }

  /** Fails the channel: the receiver's `receive()` rejects with `err` once the queue is drained. */
  [kAbort](err: Error): void {
    if (!this.#moved) this.#core.fail(err);
  }

  /** Detaches ownership: returns a new handle; this one throws `SWARM_ERR_MOVED` from now on. */
  [kMove](): PipeSender<T> {
    if (this.#moved) throw movedError();
    this.#moved = true;
    return new PipeSender(this.#core);
  }
}

/** The receiving end of an in-process channel (also used for a session channel's receiving end). */
export class PipeReceiver<T = unknown> implements Receiver<T> {
  readonly [kReceiver] = true as const;
  #core: PipeCore<T>;
  #moved = false;

  constructor(core: PipeCore<T>) {
    this.#core = core;
  }

  receive(): Promise<T | EOF> {
    if (this.#moved) return Promise.reject(movedError());
    return this.#core.receive();
  }

  close(): void {
    if (this.#moved) return;
    this.#core.cancel();
  }

  get closed(): boolean {
    return this.#moved || this.#core.receiverClosed;
  }

  /** Values queued and not yet received. */
  get queued(): number {
    return this.#core.mailbox.size;
  }

  [kMove](): PipeReceiver<T> {
    if (this.#moved) throw movedError();
    this.#moved = true;
    return new PipeReceiver(this.#core);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    try {
      for (;;) {
        const v = await this.receive();
        if (v === EOF) return;
        yield v;
      }
    } finally {
      // Breaking out of a for-await tells the sender to stop; after EOF this is a no-op.
      this.close();
    }
  }
}

/**
 * An in-process channel holding at most one value: `send` resolves at once for the first value and
 * waits while one is queued, the closest a bounded mailbox gets to Go's unbuffered rendezvous.
 */
export function pipe<T = unknown>(): [Receiver<T>, Sender<T>] {
  return bufferedPipe<T>(1);
}

/**
 * An in-process channel that queues up to `capacity` values; the next `send` returns a promise that
 * resolves when the receiver makes room (backpressure, never unbounded buffering).
 */
export function bufferedPipe<T = unknown>(capacity: number, hooks?: PipeHooks): [Receiver<T>, Sender<T>] {
  const core = new PipeCore<T>(capacity, hooks);
  return [new PipeReceiver(core), new PipeSender(core)];
}
