/**
 * Pre-authentication limits of a session (see {@link PreAuthLimits}): until the application calls
 * `authenticate()`, the peer gets a byte budget, a few channels, no nested byte streams and a
 * deadline. The guard only counts and answers "over which limit"; the session ends the connection.
 * @module
 */
import type { Clock, TimerHandle } from '../clock.js';
import { RefKind } from './frames.js';
import { type PreAuthLimits, type ResolvedPreAuth, resolvePreAuth } from './session-options.js';

/** Which limit was crossed and how to say so. */
export interface Breach {
  /** Stable name for `details.limit`: `preauth-deadline`, `preauth-bytes`, `preauth-channels`, `preauth-streams`. */
  limit: string;
  reason: string;
}

/** Counts what an unauthenticated peer sends; one per session, dropped by `authenticate()`. */
export class PreAuthGuard {
  readonly limits: ResolvedPreAuth;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #bytes = 0;
  #channels = 0;

  /** Starts the deadline at once; `onDeadline` runs when it passes before {@link dispose}. */
  constructor(limits: PreAuthLimits, clock: Clock, onDeadline: (b: Breach) => void) {
    this.limits = resolvePreAuth(limits);
    this.#clock = clock;
    const ms = this.limits.deadlineMs;
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      onDeadline({ limit: 'preauth-deadline', reason: `not authenticated within ${ms} ms` });
    }, ms);
  }

  /** `n` more bytes arrived (before parsing, so even a half frame counts). */
  bytes(n: number): Breach | undefined {
    this.#bytes += n;
    if (this.#bytes <= this.limits.maxBytes) return undefined;
    return {
      limit: 'preauth-bytes',
      reason: `sent over ${this.limits.maxBytes} bytes before authenticating`,
    };
  }

  /** The peer opens a stream of `kind` (an OPEN frame's first payload byte). */
  open(kind: number | undefined): Breach | undefined {
    const stream = kind === RefKind.Duplex || kind === RefKind.InStream || kind === RefKind.OutStream;
    if (stream) {
      if (this.limits.nestedStreams) return undefined;
      return { limit: 'preauth-streams', reason: 'opened a byte stream before authenticating' };
    }
    if (++this.#channels <= this.limits.maxChannels) return undefined;
    return {
      limit: 'preauth-channels',
      reason: `opened over ${this.limits.maxChannels} channels before authenticating`,
    };
  }

  /** Stops the deadline (authenticated, or the session ended). */
  dispose(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
