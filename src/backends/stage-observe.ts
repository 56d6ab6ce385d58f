/**
 * What a stage actor reports to an observer (swarmd `--admin`, or a library user's own): the request
 * sampler a stage hands its requests to, and the health an aggregate node reports on its stage.
 * @module
 */
import type { ActorContext } from '../actors/behavior.js';
import type { Message } from '../actors/message.js';

/**
 * Samples the requests a stage's handler takes (swarmd `--admin`). The stage hands the sampler a
 * switch once per incarnation (`attach`); while it is on, every request goes through `take` (which
 * returns the message to handle: the same, or a copy with `ret` wrapped to time the first reply, and
 * may turn the switch off); while it is off the stage runs the very receive it has without an
 * observer, so a busy stage pays nothing per request between samples.
 */
export interface RequestSampler {
  /** A request while sampling is on; `actor` is the stage's actor (its mailbox counts every request). */
  take(message: Message, actor: ActorContext<Message>): Message;
  /** The stage's switch: `sample(true)` sends its requests through `take`, `sample(false)` stops. Starts on. */
  attach(sample: (on: boolean) => void): void;
}

/** Makes each stage's {@link RequestSampler} (once per stage incarnation). */
export interface RequestObserver {
  stage(name: string): RequestSampler;
}

/** A daemon's health as its owner (an aggregate node) reports it on the node's stage. */
export interface HealthReport {
  /** The health machine's state: `connecting`, `healthy`, `degraded`, `down`, `backoff`. */
  state: string;
  /** Clock time of the last change, ms. */
  since: number;
  /** The last failure, cleared by a success. */
  reason?: string;
}
