/**
 * The process-wide run queue. Ready actors are drained in a microtask, {@link BATCH_SIZE} messages
 * each in turn; after {@link TURN_BUDGET} messages the scheduler yields to I/O with `setImmediate` —
 * once per turn, never per message. Actors that sent to each other within a turn are drained in the
 * same turn, so a ping-pong costs no microtask per hop.
 * @module
 */
import { RingBuffer } from '../mailbox/index.js';

/** Messages one actor handles per drain before the next ready actor gets its turn. */
export const BATCH_SIZE = 128;
/** Messages handled per scheduler turn before yielding to I/O with `setImmediate`. */
export const TURN_BUDGET = 1024;

/** What the scheduler needs of an actor. */
export interface Schedulable {
  /** True while on the run queue; the scheduler clears it when it drops the actor. */
  queued: boolean;
  /** True when the actor may handle messages now. */
  readonly runnable: boolean;
  readonly isEmpty: boolean;
  /** Handles up to `max` signals and messages; returns how many. */
  drain(max: number): number;
}

const ready = new RingBuffer<Schedulable>(0);
let scheduled = false;

function runTurn(): void {
  let budget = TURN_BUDGET;
  while (budget > 0) {
    const actor = ready.shift();
    if (actor === undefined) break;
    budget -= actor.drain(BATCH_SIZE);
    if (actor.runnable && !actor.isEmpty) ready.push(actor);
    else actor.queued = false;
  }
  if (ready.length > 0) setImmediate(runTurn);
  else scheduled = false;
}

/** Puts an actor (already marked `queued`) on the run queue and makes sure a turn is coming. */
export function schedule(actor: Schedulable): void {
  ready.push(actor);
  if (!scheduled) {
    scheduled = true;
    queueMicrotask(runTurn);
  }
}
