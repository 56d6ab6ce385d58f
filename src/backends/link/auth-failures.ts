/**
 * Failed token attempts, counted per peer address, so a listener cannot be used to guess its token
 * online: past {@link AuthFailureOptions.maxFailures} failures within a window, new sessions from that
 * address are closed at once until the window ends. The table is bounded (the oldest entry goes), so
 * a flood of addresses cannot grow it.
 * @module
 */
import type { Clock } from '../../clock.js';

/** Limits of an {@link AuthFailures} table. */
export interface AuthFailureOptions {
  /** Failures allowed per address within `windowMs`. Default 5. */
  maxFailures?: number;
  /** Default 60 000 ms. */
  windowMs?: number;
  /** Addresses remembered at most. Default 10 000. */
  maxAddresses?: number;
}

/** The address part of a transport's `remote` text: `1.2.3.4:5678` → `1.2.3.4`, `[::1]:9` → `::1`. */
export function peerHost(remote: string | undefined): string {
  if (!remote) return '?';
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(remote);
  if (v6) return v6[1] as string;
  const v4 = /^([^:]+):\d+$/.exec(remote);
  return v4 ? (v4[1] as string) : remote;
}

/** Per-address failure counts over a sliding window that starts at an address's first failure. */
export class AuthFailures {
  readonly #clock: Clock;
  readonly #max: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  readonly #byHost = new Map<string, { since: number; count: number }>();

  constructor(clock: Clock, options: AuthFailureOptions = {}) {
    this.#clock = clock;
    this.#max = options.maxFailures ?? 5;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** True when `host` has used up its failures for the current window. */
  blocked(host: string): boolean {
    const e = this.#current(host);
    return e !== undefined && e.count >= this.#max;
  }

  /** Records one failure; returns true when this one used up the address's allowance. */
  fail(host: string): boolean {
    let e = this.#current(host);
    if (!e) {
      if (this.#byHost.size >= this.#maxAddresses) {
        const oldest = this.#byHost.keys().next().value;
        if (oldest !== undefined) this.#byHost.delete(oldest);
      }
      e = { since: this.#clock.now(), count: 0 };
      this.#byHost.set(host, e);
    }
    e.count++;
    return e.count === this.#max;
  }

  /** Milliseconds until `host` may try again (0 when it may now). */
  retryAfterMs(host: string): number {
    const e = this.#current(host);
    return e && e.count >= this.#max ? Math.max(0, e.since + this.#windowMs - this.#clock.now()) : 0;
  }

  #current(host: string) {
    const e = this.#byHost.get(host);
    if (e && this.#clock.now() - e.since >= this.#windowMs) {
      this.#byHost.delete(host);
      return undefined;
    }
    return e;
  }
}
