/**
 * Restart pacing: Akka's exponential backoff with jitter and OTP's restart intensity. Pure functions
 * of injected time and randomness, so tests assert exact schedules.
 * @module
 */
import { ErrorCode, SwarmError } from '../errors.js';

/** Akka `restartWithBackoff(minBackoff, maxBackoff, randomFactor)` plus the reset period. */
export interface BackoffOptions {
  /** First delay, ms. */
  min: number;
  /** Cap of the exponential part, ms (jitter may add up to `randomFactor` on top, as in Akka). */
  max: number;
  /** Extra random delay as a fraction of the computed one (0.2 adds up to 20 %). Default 0.2. */
  randomFactor?: number;
  /** A child that ran this long since its last restart starts over at `min`. Default (min+max)/2. */
  resetAfter?: number;
  /** Source of randomness in [0, 1), injectable for tests. Default Math.random. */
  random?: () => number;
}

/** Validates backoff options, throwing `SWARM_ERR_INVALID_ARGUMENT` for nonsense. */
export function checkBackoff(options: BackoffOptions): void {
  const { min, max, randomFactor = 0.2 } = options;
  if (!(min >= 0) || !(max >= min) || !(randomFactor >= 0)) {
    throw new SwarmError(ErrorCode.InvalidArgument, 'backoff needs 0 <= min <= max and randomFactor >= 0', {
      details: { min, max, randomFactor },
    });
  }
}

/**
 * The delay before restart number `attempt` (0-based): `min(max, min·2^attempt) · (1 + random·randomFactor)`,
 * Akka's `BackoffSupervisor.calculateDelay`.
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const random = options.random ?? Math.random;
  const jitter = 1 + random() * (options.randomFactor ?? 0.2);
  return Math.min(options.max, options.min * 2 ** attempt) * jitter;
}

/** The reset period of `options`: `resetAfter` or (min+max)/2. */
export function backoffResetAfter(options: BackoffOptions): number {
  return options.resetAfter ?? (options.min + options.max) / 2;
}

/**
 * OTP restart intensity: more than `intensity` restarts within `period` ms means give up. Keeps only
 * the timestamps inside the window.
 */
export class RestartIntensity {
  readonly intensity: number;
  readonly period: number;
  // A circular Float64Array of restart times, oldest first, trimmed from the front: O(1) per restart
  // and no boxed numbers for the GC, even in a restart storm with a large intensity.
  #stamps = new Float64Array(8);
  #head = 0;
  #length = 0;

  constructor(intensity: number, period: number) {
    if (!Number.isInteger(intensity) || intensity < 0 || !(period > 0)) {
      throw new SwarmError(ErrorCode.InvalidArgument, 'intensity must be an integer >= 0 and period > 0', {
        details: { intensity, period },
      });
    }
    this.intensity = intensity;
    this.period = period;
  }

  /** Records a restart at `now`; true when that exceeds the intensity (the supervisor must give up). */
  exceeded(now: number): boolean {
    const from = now - this.period;
    let stamps = this.#stamps;
    let mask = stamps.length - 1;
    while (this.#length > 0 && (stamps[this.#head] as number) <= from) {
      this.#head = (this.#head + 1) & mask;
      this.#length--;
    }
    if (this.#length === stamps.length) {
      const grown = new Float64Array(stamps.length * 2);
      for (let i = 0; i < this.#length; i++) grown[i] = stamps[(this.#head + i) & mask] as number;
      this.#stamps = stamps = grown;
      this.#head = 0;
      mask = stamps.length - 1;
    }
    stamps[(this.#head + this.#length) & mask] = now;
    this.#length++;
    return this.#length > this.intensity;
  }

  /** Forgets the history (after the supervisor itself was restarted). */
  reset(): void {
    this.#head = 0;
    this.#length = 0;
  }
}
