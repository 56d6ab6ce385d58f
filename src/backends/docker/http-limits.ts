/**
 * What one client may hold of the Docker front door: open connections (`--max-connections`), time to
 * send its headers (`--header-timeout`) and its whole request (`--request-timeout`), and upgrade
 * requests (attach, exec start) still reading their body (`--max-pending-upgrades`). node:http
 * enforces the first three for plain requests; once a request is upgraded its socket leaves node's
 * bookkeeping, so `http-upgrade.ts` applies the same deadline and size limit itself.
 * @module
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';

/** The limits of one dockerserver. */
export interface ServerLimits {
  /** Open connections at once (upgraded ones included); more are closed at once. */
  maxConnections: number;
  /** Time from a connection's first byte to the end of a request's headers (node's `headersTimeout`). */
  headerTimeoutMs: number;
  /** Time to receive a whole request, body included (node's `requestTimeout`; an upgrade's body too). */
  requestTimeoutMs: number;
  /** Upgrade requests whose body has not arrived yet; more are answered 503 at once. */
  maxPendingUpgrades: number;
}

/** node:http's own header and request deadlines, and a connection cap far above any real CLI use. */
export const DEFAULT_LIMITS: ServerLimits = {
  maxConnections: 1024,
  headerTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  maxPendingUpgrades: 64,
};

/** The flags that set {@link ServerLimits}, for the usage line. */
export const LIMIT_FLAGS_USAGE =
  '[--max-connections N] [--max-pending-upgrades N] [--header-timeout SECONDS] [--request-timeout SECONDS]';

/**
 * Applies one limit flag to `limits`; returns false when `flag` is not a limit flag. `invalid` builds
 * the caller's usage error.
 */
export function parseLimitFlag(
  limits: ServerLimits,
  flag: string,
  value: () => string,
  invalid: (message: string) => Error,
): boolean {
  const count = () => {
    const n = Number(value());
    if (!Number.isSafeInteger(n) || n < 1) throw invalid(`${flag} must be a positive whole number`);
    return n;
  };
  const ms = () => {
    const s = Number(value());
    if (!(s > 0) || !Number.isFinite(s)) throw invalid(`${flag} must be a positive number of seconds`);
    return Math.max(1, Math.round(s * 1000));
  };
  if (flag === '--max-connections') limits.maxConnections = count();
  else if (flag === '--max-pending-upgrades') limits.maxPendingUpgrades = count();
  else if (flag === '--header-timeout') limits.headerTimeoutMs = ms();
  else if (flag === '--request-timeout') limits.requestTimeoutMs = ms();
  else return false;
  return true;
}

/** node's `connectionsCheckingInterval` for these deadlines: a quarter of the shorter, 30 s at most. */
export function checkingIntervalMs(limits: ServerLimits): number {
  return Math.min(
    30_000,
    Math.max(10, Math.floor(Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) / 4)),
  );
}

/** How long a refused-connection burst stays one burst: refusals closer together than this share a log line. */
const BURST_QUIET_MS = 5_000;

/**
 * Caps `server`'s connections and logs refusals once per burst: the first refusal logs a warning; the
 * rest of the burst (until none came for {@link BURST_QUIET_MS}) only counts, and the count goes to
 * the debug log when it ends. A flood of refused connections costs a counter, not a log line each.
 */
export function capConnections(server: Server, limits: ServerLimits, log: Logger, clock: Clock): () => void {
  // Node closes a connection past maxConnections at once, before any byte is read ('drop' event).
  server.maxConnections = limits.maxConnections;
  let refused = 0;
  let last = 0;
  let timer: TimerHandle | undefined;
  const endBurst = () => {
    const quietFor = clock.now() - last;
    if (quietFor < BURST_QUIET_MS) {
      timer = clock.setTimeout(endBurst, BURST_QUIET_MS - quietFor);
      return;
    }
    timer = undefined;
    log.debug(
      { refused, limit: limits.maxConnections },
      'dockerserver: burst over, %d connections refused',
      refused,
    );
    refused = 0;
  };
  server.on('drop', () => {
    last = clock.now();
    if (refused++ === 0) {
      log.warn(
        { limit: limits.maxConnections },
        'dockerserver: %d connections open, refusing new ones (--max-connections)',
        limits.maxConnections,
      );
    }
    timer ??= clock.setTimeout(endBurst, BURST_QUIET_MS);
  });
  return () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
}

/** Counts upgrade requests still reading their body, against {@link ServerLimits.maxPendingUpgrades}. */
export class UpgradeGate {
  #pending = 0;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** How many are pending. */
  get pending(): number {
    return this.#pending;
  }

  /** Takes a slot, or returns undefined when all are taken; the returned release is idempotent. */
  enter(): (() => void) | undefined {
    if (this.#pending >= this.max) return undefined;
    this.#pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#pending--;
    };
  }
}

/** The status for a client error node:http reports: 408 for its deadlines, 431 for big headers, else 400. */
export function clientErrorStatus(err: unknown): { status: number; message: string } {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, message: 'request timed out' };
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, message: 'request headers too large' };
  return { status: 400, message: 'malformed HTTP request' };
}
