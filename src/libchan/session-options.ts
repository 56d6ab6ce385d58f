/**
 * Session options and the defaults they fall back to.
 * @module
 */
import type { Clock } from '../clock.js';
import type { SessionSettings } from './host.js';

/** Options of a session. Both sides may choose different windows; the protocol needs no agreement. */
export interface SessionOptions extends Partial<SessionSettings> {
  /** `client` opens odd ids, `server` even ids. */
  role: 'client' | 'server';
  clock?: Clock;
  /** How long a graceful close waits for the peer before destroying the connection. Default 2000 ms. */
  closeTimeoutMs?: number;
}

const DEFAULTS: SessionSettings = {
  channelWindow: 1024,
  streamWindow: 256 * 1024,
  connectionWindow: 16 << 20,
  maxMessageBytes: 256 << 20,
  acceptBacklog: 1024,
  maxUnclaimed: 65536,
};

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
