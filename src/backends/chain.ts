/**
 * The chain: stages wired left to right like a unix pipeline. Each stage is a supervised
 * {@link StageActor} whose downstream is the next stage's address. Stages come up from the last to the
 * first (so a front end never accepts a request its back ends can't serve yet) and go down from the
 * first to the last (so nothing new arrives while the back ends drain).
 * @module
 */
import type { Logger } from 'pino';
import type { Message } from '../actors/message.js';
import type { Clock } from '../clock.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { Sender } from '../libchan/types.js';
import { lexStage, type StageCommand } from './lexer.js';
import { findStage, stageNames } from './registry.js';
import type { StageContext, StageDefinition } from './stage.js';
import { type RestartPolicy, StageActor } from './stage-actor.js';

/** Options for {@link Chain}. */
export interface ChainOptions {
  log: Logger;
  clock: Clock;
  policy?: RestartPolicy;
  /** Stage lookup; defaults to the built-in registry. */
  lookup?: (name: string) => StageDefinition | undefined;
  /** Called when a stage gives up after too many restarts. */
  onStageFailed?: (stage: StageActor, err: Error) => void;
  /** Called as each stage comes up, with its describe() line. */
  onStageUp?: (stage: StageActor, description: string) => void;
  /** How long {@link Chain.stop} waits for one stage before moving on to the next. Default 10 000 ms. */
  stopTimeoutMs?: number;
}

/** A running chain of stages. */
export class Chain {
  readonly stages: StageActor[] = [];
  /** Child stages built at run time through `spawnStage` (aggregate's), stopped with the chain. */
  readonly children: StageActor[] = [];
  readonly #options: ChainOptions;
  #childCount = 0;

  constructor(options: ChainOptions) {
    this.#options = options;
  }

  /** The first stage's address: where requests enter. */
  get head(): Sender<Message> | undefined {
    return this.stages[0];
  }

  /**
   * Resolves every command, then builds and starts the stages last to first. Unknown stages and bad
   * arguments throw `SWARM_ERR_INVALID_ARGUMENT` naming the stage and argument position; stages
   * already started are stopped again.
   */
  async start(commands: string[]): Promise<void> {
    const parsed = commands.map((source, i) => this.#resolve(source, `argument ${i + 1}`));
    let next: StageActor | undefined;
    const actors: StageActor[] = [];
    for (let i = parsed.length - 1; i >= 0; i--) {
      const { command, definition } = parsed[i] as { command: StageCommand; definition: StageDefinition };
      const actor = this.#actor(definition, command, `${command.name}#${i + 1}`, next);
      actors.unshift(actor);
      next = actor;
    }
    try {
      for (let i = actors.length - 1; i >= 0; i--) {
        const actor = actors[i] as StageActor;
        await this.#startActor(
          actor,
          `argument ${i + 1} "${(parsed[i] as { command: StageCommand }).command.source}"`,
        );
        this.stages.unshift(actor);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Builds and starts a stage from a full command line (aggregate's children). */
  readonly spawnStage = async (source: string, name: string): Promise<Sender<Message>> => {
    const { command, definition } = this.#resolve(source, `child stage "${name}"`);
    const actor = this.#actor(
      definition,
      command,
      name || `${command.name}.${++this.#childCount}`,
      undefined,
    );
    await this.#startActor(actor, `child stage "${source}"`);
    this.children.push(actor);
    return actor;
  };

  /**
   * Stops the stages first to last, then any children. A stage that does not finish stopping within
   * `stopTimeoutMs` is logged and left behind, so one stuck stage can't keep swarmd from exiting.
   * Idempotent.
   */
  async stop(): Promise<void> {
    const { log, clock } = this.#options;
    const limit = this.#options.stopTimeoutMs ?? 10_000;
    for (const actor of [...this.stages, ...[...this.children].reverse()]) {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = clock.setTimeout(() => resolve('late'), limit);
      });
      try {
        const outcome = await Promise.race([actor.stop().then(() => 'done' as const), late]);
        if (outcome === 'late') log.warn(`stage ${actor.name}: did not stop within ${limit} ms; moving on`);
      } catch (err) {
        log.warn({ err }, `stage ${actor.name}: error while stopping`);
      } finally {
        if (timer !== undefined) clock.clearTimeout(timer);
      }
    }
  }

  #resolve(source: string, where: string): { command: StageCommand; definition: StageDefinition } {
    let command: StageCommand;
    try {
      command = lexStage(source);
    } catch (err) {
      throw new SwarmError(ErrorCode.InvalidArgument, `${where}: ${(err as Error).message}`, { cause: err });
    }
    const definition = (this.#options.lookup ?? findStage)(command.name);
    if (!definition) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `${where}: unknown stage "${command.name}"; known stages: ${stageNames().join(', ')} (see swarmd --help)`,
      );
    }
    return { command, definition };
  }

  #actor(
    definition: StageDefinition,
    command: StageCommand,
    name: string,
    downstream: StageActor | undefined,
  ): StageActor {
    const { log, clock } = this.#options;
    const ctx: StageContext = {
      name,
      downstream,
      log: log.child({ stage: name }),
      clock,
      spawnStage: this.spawnStage,
    };
    const options: ConstructorParameters<typeof StageActor>[3] = {
      onFailed: (stage, err) => this.#options.onStageFailed?.(stage, err),
    };
    if (this.#options.policy) options.policy = this.#options.policy;
    return new StageActor(definition, command.args, ctx, options);
  }

  async #startActor(actor: StageActor, where: string): Promise<void> {
    try {
      const instance = await actor.start();
      this.#options.onStageUp?.(actor, instance.describe?.() ?? 'up');
    } catch (err) {
      const e = err as Error;
      const code = err instanceof SwarmError ? err.code : ErrorCode.ActorFailed;
      throw new SwarmError(code, `stage ${actor.name} (${where}) could not start: ${e.message}`, {
        cause: err,
      });
    }
  }
}
