/**
 * libswarm-ts: an actor runtime and the stages of `swarmd`, as a library.
 *
 * - Chains of stages: {@link Chain}, {@link defineStage} and the stage contract ({@link StageDefinition},
 *   {@link StageContext}, {@link StageInstance}, {@link StageRole}).
 * - Actors: {@link ActorSystem}, {@link Supervisor}, {@link ask}.
 * - Verb messages: {@link Message}, the verbs and their catalog, the {@link Server} and {@link Client} DSLs,
 *   and replies ({@link replyOnce}, {@link replyError}, the reply channels {@link OneShotReply},
 *   {@link ReplyQueue}, {@link ReplyProxy}).
 * - Channels (libchan): {@link Sender}, {@link Receiver}, {@link pipe}, {@link copy}, {@link Session} and
 *   its transports (`unix`, `tcp`, `tls`, `ws`, {@link memoryPair}).
 * - Docker as messages: {@link DockerArgs}, {@link DockerResult}, the route table {@link ROUTES}.
 * - Errors and time: {@link SwarmError} with stable {@link ErrorCode}s, {@link Clock}.
 *
 * The export list is checked by test/package/exports.test.ts, so a change to it shows in review.
 * @packageDocumentation
 */

export { ActorRef, type AnyActorRef } from './actors/actor-ref.js';
export { type AskOptions, ask } from './actors/ask.js';
export type {
  ActorContext,
  Behavior,
  BehaviorSource,
  ExitReason,
  InspectionEvent,
  Inspector,
  Signal,
  Terminated,
} from './actors/behavior.js';
export { type CallOptions, Client, type ClientOptions } from './actors/client.js';
export type { DeadLetter, DeadLetterReason } from './actors/dead-letters.js';
export {
  type ActorSnapshot,
  actorsOf,
  inspectTree,
  type SupervisorSnapshot,
  type TreeSnapshot,
} from './actors/inspection.js';
export { type ErrorArgs, isVerb, type Message, VERBS, type Verb, VerbCode } from './actors/message.js';
// Every name of the reply module is public (the export list test keeps it visible).
export * from './actors/reply.js';
export { Server, type ValueHandler, type VerbHandler } from './actors/server.js';
export {
  type ChildSpec,
  type ChildView,
  type RestartType,
  type Strategy,
  Supervisor,
  type SupervisorOptions,
  type SupervisorStatus,
} from './actors/supervisor.js';
export { ActorSystem, type ActorSystemOptions, type SpawnOptions } from './actors/system.js';
export {
  checkMessage,
  errorMessage,
  expectedReplies,
  isReplyVerb,
  notImplemented,
  VERB_CATALOG,
  type VerbInfo,
  type VerbKind,
  verbInfo,
} from './actors/verbs.js';
export { Chain, type ChainOptions, type ChainStage } from './backends/chain.js';
export {
  type DockerArgs,
  type DockerOp,
  type DockerResult,
  type DockerStreamResult,
  ROUTES,
  type Route,
  resultBody,
} from './backends/docker/api.js';
export { findStage, stageNames } from './backends/registry.js';
export {
  defineStage,
  type StageContext,
  type StageDefinition,
  type StageInstance,
  type StageRole,
} from './backends/stage.js';
export {
  DEFAULT_RESTART_POLICY,
  isSupervised,
  type RestartPolicy,
  type StageActor,
  type StageStatus,
  type SupervisedStageContext,
} from './backends/stage-actor.js';
export { parseStageArgs, type StageArgs, type StageOptions } from './backends/stage-args.js';
export { type Clock, SimulatedClock, systemClock, type TimerHandle } from './clock.js';
export {
  ErrorCode,
  type ErrorCodeValue,
  isSwarmError,
  SwarmError,
  type SwarmErrorOptions,
} from './errors.js';
export { copy } from './libchan/copy.js';
export { bufferedPipe, pipe } from './libchan/pipe.js';
export { Session, type SessionOptions } from './libchan/session.js';
export type { Transport } from './libchan/transport.js';
export type { Listener } from './libchan/transports/listener.js';
export { memoryPair } from './libchan/transports/memory.js';
export * as tcp from './libchan/transports/tcp.js';
export * as tls from './libchan/transports/tls.js';
export * as unix from './libchan/transports/unix.js';
export * as ws from './libchan/transports/ws.js';
export {
  EOF,
  isReceiver,
  isSender,
  kReceiver,
  kSender,
  type Receiver,
  type Sender,
} from './libchan/types.js';
