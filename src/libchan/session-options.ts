/**
 * Session options and the defaults they fall back to.
 * @module
 */
import type { Clock } from '../clock.js';
import type { SessionSettings } from './host.js';

/**
 * Limits a session enforces until {@link Session.authenticate} is called (PROTOCOL.md 1.8). The
 * session knows nothing of what authentication is (a token, a certificate…): the application
 * checks it and lifts the limits. Past any of them the session ends with GOAWAY REFUSED and a
 * `SWARM_ERR_LIMIT_REACHED` error naming the limit, so an unauthenticated peer can hold at most a
 * few KiB of our memory for at most `deadlineMs`.
 */
export interface PreAuthLimits {
  /** Time from the session's start to `authenticate()`. Default 5000 ms, on the session's clock. */
  deadlineMs?: number;
  /** Channels the peer may open, top-level and nested. Default 2: one channel and its reply channel. */
  maxChannels?: number;
  /** Bytes the peer may send, headers included. Default 64 KiB. */
  maxBytes?: number;
  /** Whether the peer may open nested byte streams. Default false. */
  nestedStreams?: boolean;
}

/** Options of a session. Both sides may choose different windows; the protocol needs no agreement. */
export interface SessionOptions extends Partial<SessionSettings> {
  /** `client` opens odd ids, `server` even ids. */
  role: 'client' | 'server';
  clock?: Clock;
  /** How long a graceful close waits for the peer before destroying the connection. Default 2000 ms. */
  closeTimeoutMs?: number;
  /** Start in pre-authentication mode (servers facing untrusted peers). Absent: no such limits. */
  preAuth?: PreAuthLimits;
}

const DEFAULTS: SessionSettings = {
  channelWindow: 1024,
  streamWindow: 256 * 1024,
  connectionWindow: 16 << 20,
  maxMessageBytes: 256 << 20,
  acceptBacklog: 1024,
  maxUnclaimed: 65536,
  maxEntries: 4096,
  maxOutputBytes: 16 << 20,
};

/** The pre-auth limits in force, defaults filled in. */
export type ResolvedPreAuth = Required<PreAuthLimits>;

/** `limits` over the pre-auth defaults. */
export function resolvePreAuth(limits: PreAuthLimits): ResolvedPreAuth {
  return {
    deadlineMs: 5000,
    maxChannels: 2,
    maxBytes: 64 * 1024,
    nestedStreams: false,
    ...stripUndefined(limits),
  };
}

/**
 * The settings in force: `options` over {@link DEFAULTS}. Like the settings spread it replaces, it
 * copies every defined option (role, clock and closeTimeoutMs ride along, unused by entries).
 */
export function resolveSettings(options: SessionOptions): SessionSettings {
  return { ...DEFAULTS, ...stripUndefined(options) };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
