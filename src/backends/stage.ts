/**
 * The contract every stage (backend) implements. swarmd (and aggregate) look a stage up by name,
 * call `create` with its arguments, and run the returned instance inside a supervised actor: the
 * actor delivers each request to `handle`, restarts the instance per policy if `handle` throws, and
 * answers the caught request with an `error` reply.
 * @module
 */
import type { Logger } from 'pino';
import type { Message } from '../actors/message.js';
import type { Clock } from '../clock.js';
import type { Sender } from '../libchan/types.js';

/** What a stage gets from the chain that runs it. */
export interface StageContext {
  /** The stage's name in logs and errors, e.g. `dockerserver#1`. */
  readonly name: string;
  /** The next stage's address; absent for the last stage. Send requests here to forward them. */
  readonly downstream: Sender<Message> | undefined;
  readonly log: Logger;
  readonly clock: Clock;
  /** Builds another stage from a full command line (aggregate uses it for its children). */
  readonly spawnStage?: (command: string, name: string) => Promise<Sender<Message>>;
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

/** A stage type that swarmd knows by name. */
export interface StageDefinition {
  name: string;
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
