/**
 * Simulated time: wall-clock timestamps derived from an injected {@link Clock} plus a wall base, and
 * the exact strings dockerd prints for them (Go's RFC3339Nano, go-units HumanDuration).
 * @module
 */
import type { Clock } from '../../clock.js';

/** Go's zero `time.Time` as dockerd prints it (never started / never finished). */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Wall time in milliseconds since the Unix epoch, moving with the injected clock. */
export interface WallClock {
  readonly clock: Clock;
  /** Wall milliseconds now (fractional: sub-millisecond precision survives into timeNano). */
  now(): number;
}

/** A wall clock anchored at `wallBase` (default: `Date.now()`) when the clock reads its current value. */
export function wallClock(clock: Clock, wallBase = Date.now()): WallClock {
  const anchor = clock.now();
  return { clock, now: () => wallBase + (clock.now() - anchor) };
}

/** Formats wall milliseconds like Go's `time.RFC3339Nano` in UTC: trailing fraction zeros trimmed. */
export function rfc3339Nano(ms: number): string {
  if (ms <= 0) return ZERO_TIME;
  const whole = Math.floor(ms);
  const base = new Date(whole).toISOString().slice(0, 19);
  const nanos = Math.round((ms - Math.floor(ms / 1000) * 1000) * 1e6);
  if (nanos === 0) return `${base}Z`;
  const frac = String(Math.min(nanos, 999_999_999)).padStart(9, '0').replace(/0+$/, '');
  return `${base}.${frac}Z`;
}

/** Wall milliseconds as Unix seconds (what `Created` in lists and `time` in events carry). */
export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Wall milliseconds as Unix nanoseconds (events' `timeNano`); precision beyond 2^53 is not kept. */
export function unixNanos(ms: number): number {
  return Math.round(ms * 1e6);
}

/** go-units `HumanDuration`: "Less than a second", "3 seconds", "About a minute", "2 hours"… */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

/**
 * Parses a Docker timestamp query value (`since`, `until`): Unix seconds with an optional fraction
 * (`1795587191.123456789`, what the CLI sends) or an RFC 3339 date. Returns wall ms, or undefined.
 */
export function parseTimestamp(value: string): number | undefined {
  if (/^\d+(\.\d{1,9})?$/.test(value)) {
    const [s, frac = ''] = value.split('.');
    return Number(s) * 1000 + Number(frac.padEnd(9, '0')) / 1e6;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}
