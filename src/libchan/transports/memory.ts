/**
 * The in-memory transport: two linked {@link Transport}s in one process. Values (Senders, Receivers,
 * Node streams) travel by reference and are never encoded, so ownership is not marked as moved.
 * `destroy()` simulates a lost connection: every top-level channel fails with ConnectionLost.
 * @module
 */
import { ConnectionLostError, ErrorCode, SwarmError } from '../../errors.js';
import { INITIAL_CHANNEL_CREDIT } from '../credit.js';
import { PipeCore, PipeReceiver, PipeSender } from '../pipe.js';
import type { Transport, TransportStats } from '../transport.js';
import type { Receiver, Sender } from '../types.js';

/** Options of {@link memoryPair}. */
export interface MemoryOptions {
  /** Values a top-level channel queues before `send` waits. Default 64, like a session's initial credit. */
  capacity?: number;
}

interface Shared {
  open: Set<PipeCore<unknown>>;
  state: 'open' | 'closed';
  error: Error | undefined;
}

/** One end of an in-memory connection. */
export class MemoryTransport implements Transport {
  #peer!: MemoryTransport;
  readonly #shared: Shared;
  readonly #capacity: number;
  #accept: Receiver[] = [];
  #waiters: { resolve: (r: Receiver) => void; reject: (e: Error) => void }[] = [];

  /** @internal use {@link memoryPair} */
  constructor(shared: Shared, capacity: number) {
    this.#shared = shared;
    this.#capacity = capacity;
  }

  /** @internal */
  link(peer: MemoryTransport): void {
    this.#peer = peer;
  }

  newSendChannel<T = unknown>(): Sender<T> {
    if (this.#shared.state !== 'open')
      throw this.#shared.error ?? new SwarmError(ErrorCode.Closed, 'transport closed');
    const shared = this.#shared;
    const core: PipeCore<unknown> = new PipeCore<unknown>(this.#capacity, {
      onFinish: () => shared.open.delete(core),
    });
    shared.open.add(core);
    this.#peer.#deliver(new PipeReceiver(core));
    return new PipeSender(core) as Sender<T>;
  }

  waitReceiveChannel<T = unknown>(): Promise<Receiver<T>> {
    const r = this.#accept.shift();
    if (r) return Promise.resolve(r as Receiver<T>);
    if (this.#shared.state !== 'open') {
      return Promise.reject(this.#shared.error ?? new SwarmError(ErrorCode.Closed, 'transport closed'));
    }
    return new Promise((resolve, reject) =>
      this.#waiters.push({ resolve: resolve as (r: Receiver) => void, reject }),
    );
  }

  close(): Promise<void> {
    this.#end(undefined);
    return Promise.resolve();
  }

  destroy(err?: Error): void {
    this.#end(err ?? new ConnectionLostError('in-memory transport destroyed'));
  }

  stats(): TransportStats {
    return { channels: this.#shared.open.size, streams: 0, unclaimed: 0, pendingAccept: this.#accept.length };
  }

  #deliver(r: Receiver): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(r);
    else this.#accept.push(r);
  }

  #end(err: Error | undefined): void {
    const s = this.#shared;
    if (s.state !== 'open') return;
    s.state = 'closed';
    s.error = err;
    const reason = err ?? new SwarmError(ErrorCode.Closed, 'transport closed');
    for (const t of [this, this.#peer]) {
      for (const w of t.#waiters.splice(0)) w.reject(reason);
    }
    if (err) for (const core of [...s.open]) core.fail(err);
  }
}

/** Two connected in-memory transports. */
export function memoryPair(options: MemoryOptions = {}): [MemoryTransport, MemoryTransport] {
  const shared: Shared = { open: new Set(), state: 'open', error: undefined };
  const cap = options.capacity ?? INITIAL_CHANNEL_CREDIT;
  const a = new MemoryTransport(shared, cap);
  const b = new MemoryTransport(shared, cap);
  a.link(b);
  b.link(a);
  return [a, b];
}
