/**
 * The id space and entry tables of a session: every open channel and byte stream by id, the nested
 * references the peer opened whose carrying message is not decoded yet ("unclaimed"), the accept
 * queue of top-level channels, and stream-id parity (PROTOCOL.md Part 1, "Stream ids").
 * @module
 */
import { ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import type { ChanIn } from './channel.js';
import type { Entry } from './host.js';
import { SessionStream } from './stream-proxy.js';
import type { TransportStats } from './transport.js';
import type { Receiver } from './types.js';

const MAX_ID = 0xffff_ffff;

/** A `SWARM_ERR_CLOSED` error for a session or channel that ended cleanly. */
export function closedError(msg = 'session closed'): SwarmError {
  return new SwarmError(ErrorCode.Closed, msg);
}

interface AcceptWaiter {
  resolve: (r: Receiver) => void;
  reject: (e: Error) => void;
}

/** Who is on a session: entries by id, unclaimed nested refs, the accept queue, id allocation. */
export class SessionTable {
  /** Every channel and byte stream still open, by id. */
  readonly entries = new Map<number, Entry>();
  /** Entries the peer opened inside a message we have not decoded yet, by id. */
  readonly unclaimed = new Map<number, Entry>();
  #accept: ChanIn[] = [];
  #waiters: AcceptWaiter[] = [];
  #nextId: number;
  #lastPeerId = 0;
  readonly #peerParity: number;

  /** `client` opens odd ids, `server` even ids. */
  constructor(role: 'client' | 'server') {
    this.#nextId = role === 'client' ? 1 : 2;
    this.#peerParity = role === 'client' ? 0 : 1;
  }

  /** The highest id the peer opened (GOAWAY's last-stream field). */
  get lastPeerId(): number {
    return this.#lastPeerId;
  }

  /** Top-level channels the peer opened that nobody has taken yet. */
  get pendingAccept(): number {
    return this.#accept.length;
  }

  /** A fresh id of our parity; ids are never reused, so running out means a new session. */
  allocId(): number {
    const id = this.#nextId;
    if (id > MAX_ID) throw new SwarmError(ErrorCode.Closed, 'stream ids exhausted; open a new session');
    this.#nextId += 2;
    return id;
  }

  /** Records an id the peer opens; it must have the peer's parity and be above every earlier one. */
  claimPeerId(id: number): void {
    if (id % 2 !== this.#peerParity || id <= this.#lastPeerId) {
      throw new ProtocolError(`OPEN id ${id} has the wrong parity or does not increase`);
    }
    this.#lastPeerId = id;
  }

  /** True for an id that was opened once and is gone: late frames for it are dropped, not an error. */
  isStale(id: number): boolean {
    return id % 2 === this.#peerParity ? id <= this.#lastPeerId : id < this.#nextId;
  }

  /** Forgets `id`; false when it was not open. */
  delete(id: number): boolean {
    if (!this.entries.delete(id)) return false;
    this.unclaimed.delete(id);
    return true;
  }

  /** Unclaimed entries carried by channel `parent` (they can never be decoded once it is gone). */
  orphansOf(parent: number): Entry[] {
    const out: Entry[] = [];
    if (this.unclaimed.size === 0) return out;
    for (const e of this.unclaimed.values()) if (e.parent === parent) out.push(e);
    return out;
  }

  /** The next accepted channel's Receiver, if one is queued. */
  takeAccepted(): Receiver | undefined {
    return this.#accept.shift()?.user;
  }

  /** Waits for the next top-level channel the peer opens. */
  waitAccept(): Promise<Receiver> {
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** A top-level channel arrived: hand it to the oldest waiter, else queue it. */
  offer(c: ChanIn): void {
    const w = this.#waiters.shift();
    if (w) w.resolve(c.user);
    else this.#accept.push(c);
  }

  /** Rejects every pending {@link waitAccept} with `err`. */
  rejectWaiters(err: Error): void {
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** Table sizes (see {@link TransportStats}). */
  counts(): TransportStats {
    let channels = 0;
    let streams = 0;
    for (const e of this.entries.values()) {
      if (e instanceof SessionStream) streams++;
      else channels++;
    }
    return { channels, streams, unclaimed: this.unclaimed.size, pendingAccept: this.#accept.length };
  }

  /** Empties every table and returns the entries that were open, for the caller to fail. */
  clear(): Entry[] {
    const entries = [...this.entries.values()];
    this.entries.clear();
    this.unclaimed.clear();
    this.#accept = [];
    return entries;
  }
}
