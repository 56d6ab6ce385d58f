/**
 * The contract every stage (backend) implements. swarmd (and aggregate) look a stage up by name,
 * call `create` with its arguments, and run the returned instance inside a supervised actor: the
 * actor delivers each request to `handle`, restarts the instance per policy if `handle` throws, and
 * answers the caught request with an `error` reply.
 * @module
 */
import type { Logger } from 'pino';
import type { ActorRef } from '../actors/actor-ref.js';
import type { BehaviorSource } from '../actors/behavior.js';
import type { Message } from '../actors/message.js';
import type { Clock } from '../clock.js';
import type { Sender } from '../libchan/types.js';

/** What a stage gets from the chain that runs it. */
export interface StageContext {
  /** The stage's name in logs and errors, e.g. `dockerserver#1`. */
  readonly name: string;
  /** The next stage's address; absent for the last stage. Send requests here to forward them. */
  readonly downstream: Sender<Message> | undefined;
  /** A pino logger bound to the stage's name. */
  readonly log: Logger;
  /** The chain's time source; use it for every timer so tests can drive time. */
  readonly clock: Clock;
  /** Builds another stage from a full command line (aggregate uses it for its children). */
  readonly spawnStage?: (command: string, name: string) => Promise<Sender<Message>>;
  /**
   * Runs `behavior` as an actor of this stage (a `listen` session, a `remote` link): a temporary child
   * under the stage's supervisor, so it shows in the supervision tree and goes down with the stage. It
   * is never restarted; it ends when it stops itself (`ctx.stop()`) or fails. `name` is a label (made
   * unique). Absent when the stage runs outside a chain.
   */
  readonly spawnActor?: <T>(name: string, behavior: BehaviorSource<T>) => ActorRef<T>;
}

/** A running stage. */
export interface StageInstance {
  /**
   * Handles one request. Replies go to `message.ret` (then close it). May be async; requests are
   * delivered concurrently as they arrive — a stage that needs ordering keeps its own queue.
   */
  handle(message: Message): void | Promise<void>;
  /** Brings up listeners, connections, child processes. Called once before the first `handle`. */
  start?(): Promise<void>;
  /** Releases everything `start` acquired. Must be idempotent. */
  stop?(): Promise<void>;
  /** One line for the startup log, e.g. `serving Docker API on unix:///tmp/s.sock`. */
  describe?(): string;
}

/**
 * Where a stage may stand in a chain. The chain checks the order before it starts anything, so a chain
 * that could only fail every request (`simulator` in front of `dockerserver`) is a usage error instead.
 *
 * - `front`: takes requests from outside the chain (an HTTP API, a network listener) and passes them to
 *   the next stage. It must be the first stage, and a stage must follow it.
 * - `middle`: reads, rewrites or answers requests and passes the others to `ctx.downstream`. A stage
 *   must follow it; it may be first when code feeds the chain through `Chain.head`.
 * - `terminal`: answers every request itself and never uses `ctx.downstream`. It must be the last stage.
 */
export type StageRole = 'front' | 'middle' | 'terminal';

/** The roles, for validating a definition that came from a user module. */
export const STAGE_ROLES: readonly StageRole[] = ['front', 'middle', 'terminal'];

/** A stage type: what swarmd knows by name, or what a user module default-exports. */
export interface StageDefinition {
  /** The stage's name in logs and errors (`stamp#2`) and, for built-in stages, on the command line. */
  name: string;
  /** Where the stage may stand in a chain; default `middle` (see {@link StageRole}). */
  role?: StageRole;
  /** One-line summary for `swarmd --list`. */
  summary: string;
  /** Usage line, e.g. `dockerclient <unix:///path | tcp://host:port> [--tlsverify …]`. */
  usage: string;
  /** A complete example stage argument, as typed in a shell. */
  example: string;
  /** Longer help text: arguments, options, behaviour. */
  help?: string;
  /** Validates arguments and builds an instance. Throws SwarmError (SWARM_ERR_INVALID_ARGUMENT) with a fix. */
  create(args: string[], ctx: StageContext): StageInstance | Promise<StageInstance>;
}

/** A definition's role, `middle` when it declares none. */
export function stageRole(definition: StageDefinition): StageRole {
  return definition.role ?? 'middle';
}

/**
 * Types a stage definition; returns it unchanged. The default export of a stage module (`swarmd
 * './stamp.mjs team=blue'`) is written `export default defineStage({ name, summary, usage, example,
 * create(args, ctx) { … } })`, so editors check `create`'s arguments and the instance it returns.
 */
export function defineStage(definition: StageDefinition): StageDefinition {
  return definition;
}
