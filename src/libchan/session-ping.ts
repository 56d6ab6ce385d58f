/**
 * PING/PONG on stream 0: round-trip time measurement and liveness. The 8-byte payload carries a
 * sequence number in its low 4 bytes, so several pings may be in flight and each PONG finds its own.
 * @module
 */
import type { Clock } from '../clock.js';
import { FrameType } from './frames.js';
import type { ConnectionFlow } from './session-flow.js';

interface PendingPing {
  at: number;
  resolve: (ms: number) => void;
  reject: (e: Error) => void;
}

/** The pings of one session still waiting for their PONG. */
export class Pings {
  readonly #clock: Clock;
  #seq = 0;
  readonly #pending = new Map<number, PendingPing>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Sends a PING; resolves with the round-trip time in ms on the host clock. */
  send(flow: ConnectionFlow): Promise<number> {
    const seq = ++this.#seq;
    const p = Buffer.alloc(8);
    p.writeUInt32BE(seq, 4);
    flow.control(FrameType.Ping, p);
    return new Promise((resolve, reject) =>
      this.#pending.set(seq, { at: this.#clock.now(), resolve, reject }),
    );
  }

  /** A PONG arrived; one that answers no pending ping is ignored. */
  pong(payload: Buffer): void {
    const seq = payload.length === 8 ? payload.readUInt32BE(4) : -1;
    const p = this.#pending.get(seq);
    if (p) {
      this.#pending.delete(seq);
      p.resolve(this.#clock.now() - p.at);
    }
  }

  /** The session ended: every pending ping fails with `err`. */
  failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
