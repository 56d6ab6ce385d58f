/**
 * An actor's address. An {@link ActorRef} IS a libchan {@link Sender}: sending to an actor and
 * sending on a channel are the same operation, so a ref can travel as a reply channel.
 * @module
 */
import { kSender, type Sender } from '../libchan/types.js';
import type { ActorCell } from './runner.js';

/**
 * The address of one actor. `send` hands the message straight to the actor's bounded mailbox (the
 * mailbox's overflow policy decides between accept, wait, drop and refuse). After the actor stopped,
 * a send is dead-lettered with reason `stopped` instead of throwing: the sender could not have known.
 * After the holder called {@link ActorRef.close}, a send throws `SWARM_ERR_CLOSED` (refused).
 */
export class ActorRef<T = unknown> implements Sender<T> {
  declare readonly [kSender]: true;
  /** @internal The actor behind this ref; only the runtime touches it. */
  readonly _cell: ActorCell<T>;

  /** @internal Created by the runner, one per actor, stable across restarts. */
  constructor(cell: ActorCell<T>) {
    this._cell = cell;
  }

  /** The actor's unique id (nanoid). */
  get id(): string {
    return this._cell.id;
  }

  /** The registered name, if any. */
  get name(): string | undefined {
    return this._cell.name;
  }

  /** Sends one message; see the class comment for what happens when the mailbox is full or gone. */
  send(message: T): Promise<void> | undefined {
    const cell = this._cell;
    if (cell.gate === 0) return cell.send(message);
    return cell.rejectSend(message);
  }

  /** Graceful close (EOF): the actor handles what is queued, then stops with reason `normal`. */
  close(): void {
    this._cell.closeGracefully();
  }

  /** True once closed by the holder or once the actor stopped. */
  get closed(): boolean {
    return this._cell.gate !== 0;
  }

  /** The current lifecycle state (`running`, `restarting`, `stopped`, …). */
  get state(): string {
    return this._cell.lifecycle;
  }

  toString(): string {
    return `ActorRef(${this._cell.name ?? this._cell.id})`;
  }
}

// On the prototype, not per instance: an idle actor's heap budget is a few hundred bytes.
Object.defineProperty(ActorRef.prototype, kSender, { value: true, enumerable: false });

/** A ref to an actor of any message type, for APIs that never send to it (watch, stop). */
// biome-ignore lint/suspicious/noExplicitAny: a ref's message type is irrelevant to watch/stop
export type AnyActorRef = ActorRef<any>;
