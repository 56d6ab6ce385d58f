/**
 * The actor runtime: system, runner, refs, ask, lifecycle, supervision, dead letters — plus the verb
 * message envelope and its replies.
 * @module
 */
export { ActorRef, type AnyActorRef } from './actor-ref.js';
export { type AskOptions, ask } from './ask.js';
export {
  type BackoffOptions,
  backoffDelay,
  backoffResetAfter,
  checkBackoff,
  RestartIntensity,
} from './backoff.js';
export {
  type ActorContext,
  type Behavior,
  type BehaviorSource,
  type ExitReason,
  type InspectionEvent,
  type Inspector,
  isAbnormal,
  replyWithError,
  type Signal,
  type Terminated,
} from './behavior.js';
export {
  type DeadLetter,
  type DeadLetterCounters,
  type DeadLetterListener,
  type DeadLetterReason,
  DeadLetters,
} from './dead-letters.js';
export {
  type ActorSnapshot,
  actorsOf,
  inspectTree,
  type SupervisorSnapshot,
  type TreeSnapshot,
} from './inspection.js';
export {
  createLifecycleActor,
  isFinalLifecycleState,
  type LifecycleEvent,
  type LifecycleEventType,
  type LifecycleState,
  lifecycleMachine,
  nextLifecycleState,
} from './lifecycle.js';
export * from './message.js';
export * from './reply.js';
export { BATCH_SIZE, TURN_BUDGET } from './scheduler.js';
export {
  type AnySpec,
  type ChildSpec,
  type ChildView,
  type RestartType,
  type Strategy,
  Supervisor,
  type SupervisorOptions,
  type SupervisorStatus,
} from './supervisor.js';
export {
  ActorSystem,
  type ActorSystemOptions,
  DEFAULT_SHUTDOWN_TIMEOUT,
  type SpawnOptions,
  type SystemCounters,
} from './system.js';
