/**
 * What bounds the calls of an {@link EngineClient} to one daemon: its two connection budgets (the
 * keep-alive pool that holds `connections`, the slots that count `streams`) and the deadline every
 * call runs under, which is also where a failed call becomes a typed error (deadline passed, or
 * daemon not reachable).
 * @module
 */
import { Pool } from 'undici';
import type { Clock, TimerHandle } from '../../clock.js';
import { ConnectionLostError, DeadlineExceededError, ErrorCode, SwarmError } from '../../errors.js';
import type { EngineAddress, TlsFiles } from './engine-address.js';

/** Default size of the keep-alive pool for plain calls. */
export const DEFAULT_CONNECTIONS = 8;
/** Default most long-lived streams (streamed answers + hijacks) open to one daemon at once. */
export const DEFAULT_STREAMS = 128;

/** A budget given in the options: `fallback` when unset, refused unless a whole number ≥ 1. */
export function budget(n: number | undefined, fallback: number, what: string): number {
  if (n === undefined) return fallback;
  if (!Number.isInteger(n) || n < 1)
    throw new SwarmError(ErrorCode.InvalidArgument, `${what} must be ≥ 1, got ${n}`);
  return n;
}

/** The pool of up to `connections` keep-alive sockets for plain calls (ps, inspect, create…). */
export function keepAlivePool(a: EngineAddress, tls: TlsFiles | undefined, connections: number): Pool {
  return new Pool(
    a.kind === 'unix' ? 'http://localhost' : `${tls ? 'https' : 'http'}://${a.host}:${a.port}`,
    {
      connections,
      keepAliveTimeout: 10_000,
      // Deadlines are ours (on the clock); streams never use the pool.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: {
        ...(a.kind === 'unix' ? { socketPath: a.path } : {}),
        ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verify } : {}),
      },
    },
  );
}

/**
 * The stream budget of one client: a slot per long-lived stream or hijack. A call past the limit is
 * refused at once rather than queued, since the streams it would wait on can stay open for hours.
 */
export class StreamSlots {
  #open = 0;

  /** `address` only names the daemon in the refusal. */
  constructor(
    readonly limit: number,
    readonly address: string,
  ) {}

  /** Slots taken right now. */
  get open(): number {
    return this.#open;
  }

  /** Takes a slot or refuses at once; the returned function gives it back (idempotent). */
  take(what: string): () => void {
    if (this.#open >= this.limit) {
      throw new SwarmError(
        ErrorCode.LimitReached,
        `${what}: ${this.limit} streams (attach, exec, logs, events, wait…) already open to ${this.address}; close some or raise the streams limit`,
        { details: { address: this.address, streams: this.limit } },
      );
    }
    this.#open++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#open--;
    };
  }
}

/**
 * Runs `fn` with a signal that aborts after `ms` on `clock`; a failure after the abort is a
 * {@link DeadlineExceededError}, any other goes through {@link connectionLost}. `address` names the daemon.
 * With `after`, the deadline starts only once `after` settles (a request body still streaming up).
 */
export async function withDeadline<T>(
  clock: Clock,
  address: string,
  what: string,
  ms: number,
  fn: (signal: AbortSignal) => Promise<T>,
  after?: Promise<unknown>,
): Promise<T> {
  const ac = new AbortController();
  // The error is built only when the deadline fires: capturing a stack on every call was ~4 % of a
  // pass-through request's CPU.
  let done = false;
  let timer: TimerHandle | undefined;
  const arm = () => {
    if (!done) timer = clock.setTimeout(() => ac.abort(), ms);
  };
  if (after) after.then(arm, arm);
  else arm();
  try {
    return await fn(ac.signal);
  } catch (err) {
    if (ac.signal.aborted) throw deadlineExceeded({ address, what, ms });
    throw connectionLost(address, err);
  } finally {
    done = true;
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

/** The failure of a call (`what`, to `address`) that had no answer within `ms`. */
export function deadlineExceeded(call: { address: string; what: string; ms: number }): DeadlineExceededError {
  const { address, what, ms } = call;
  return new DeadlineExceededError(`${what}: no answer from ${address} within ${ms} ms`, {
    details: { address, timeoutMs: ms },
  });
}

/** Socket, TLS and undici failures (they carry a `code`) mean the daemon could not be reached. */
export function connectionLost(address: string, err: unknown): Error {
  if (err instanceof SwarmError) return err;
  const e = err as { code?: unknown; message?: string };
  // Anything else is a bug or bad input here, not the daemon's fault: pass it on as it is.
  if (typeof e?.code !== 'string') return err instanceof Error ? err : new Error(String(err));
  return new ConnectionLostError(
    `Cannot connect to the Docker daemon at ${address}: ${e.code}${e.message ? ` (${e.message})` : ''}`,
    { cause: err, details: { address } },
  );
}
