/**
 * The chain: stages wired left to right like a unix pipeline. Each stage is a supervised
 * {@link StageActor} whose downstream is the next stage's address. Stages come up from the last to the
 * first (so a front end never accepts a request its back ends can't serve yet) and go down from the
 * first to the last (so nothing new arrives while the back ends drain).
 *
 * The chain is one supervision tree on one {@link ActorSystem}: the chain's supervisor, under it one
 * supervisor per stage (its restart policy) holding the stage's actor, and under a spawning stage
 * (aggregate) a `children` supervisor holding one supervisor per node.
 * @module
 */
import { type Logger, pino } from 'pino';
import type { Message } from '../actors/message.js';
import { Supervisor } from '../actors/supervisor.js';
import { ActorSystem } from '../actors/system.js';
import { type Clock, systemClock } from '../clock.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { Sender } from '../libchan/types.js';
import { checkChainOrder, type PlacedStage } from './chain-order.js';
import { lexStage } from './lexer.js';
import { findStage, isModulePath, loadStageModule, stageNames } from './registry.js';
import { redactSecrets } from './secrets.js';
import { type StageContext, type StageDefinition, stageRole } from './stage.js';
import {
  childrenSupervisor,
  type RequestObserver,
  type RestartPolicy,
  StageActor,
  type StagePlacement,
} from './stage-actor.js';

/** Options for {@link Chain}. */
export interface ChainOptions {
  /** Where stages log; default pino at `warn` on stderr. Each stage gets a child bound to its name. */
  log?: Logger;
  /** Time source for backoff, deadlines and stop timeouts; default the system clock. */
  clock?: Clock;
  /** How stages are restarted after a failure; default `DEFAULT_RESTART_POLICY`. */
  policy?: RestartPolicy;
  /** Stage lookup by name; defaults to the built-in registry. Module paths are loaded before it is asked. */
  lookup?: (name: string) => StageDefinition | undefined;
  /** Directory that relative stage module paths (`./stamp.mjs`) are resolved against; default `process.cwd()`. */
  cwd?: string;
  /** Called when a stage gives up after too many restarts. */
  onStageFailed?: (stage: StageActor, err: Error) => void;
  /** Called as each stage comes up, with its describe() line. */
  onStageUp?: (stage: StageActor, description: string) => void;
  /** Sees every request each stage's handler takes (swarmd `--admin` metrics); default none. */
  observer?: RequestObserver;
  /** How long {@link Chain.stop} waits for one stage before moving on to the next. Default 10 000 ms. */
  stopTimeoutMs?: number;
}

/**
 * One stage of a chain: a command line as swarmd takes it (`'simulator n1'`, `'./stamp.mjs team=blue'`),
 * a definition run without arguments, or a definition with its arguments.
 */
export type ChainStage = string | StageDefinition | { stage: StageDefinition; args?: readonly string[] };

/** A stage resolved to its definition and arguments, before anything is built. */
interface Resolved extends PlacedStage {
  args: string[];
}

/**
 * A running chain of stages: `await new Chain().start(['dockerserver unix:///tmp/s.sock', stamp,
 * 'simulator n1'])`, then `await chain.stop()`. Code may also send requests to {@link Chain.head}.
 */
export class Chain {
  /** The running stages, first to last. */
  readonly stages: StageActor[] = [];
  /** Child stages built at run time through `spawnStage` (aggregate's), stopped with the chain. */
  readonly children: StageActor[] = [];
  /** The actor system every stage runs on. */
  readonly system: ActorSystem;
  /** The root of the tree: one child supervisor per stage. */
  readonly supervisor: Supervisor;
  readonly #options: ChainOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  #childCount = 0;

  constructor(options: ChainOptions = {}) {
    this.#options = options;
    this.#log = options.log ?? pino({ level: 'warn', base: undefined }, pino.destination(2));
    this.#clock = options.clock ?? systemClock;
    this.system = new ActorSystem({ clock: this.#clock });
    this.supervisor = new Supervisor(this.system, { name: 'chain' });
    // Restarts are the runtime's; say each one once, with its delay, as the stage's own log line.
    this.system.inspect((e) => {
      if (e.type !== 'supervisor' || e.action !== 'restart') return;
      const delay = Math.round(e.delay ?? 0);
      if (e.supervisor === 'children')
        this.#log.warn(`stage ${e.child}: gave up; rebuilding it in ${delay} ms`);
      else this.#log.warn(`stage ${e.child}: restarting in ${delay} ms`);
    });
  }

  /** The first stage's address: where requests enter. */
  get head(): Sender<Message> | undefined {
    return this.stages[0];
  }

  /**
   * Resolves every stage (loading stage modules), checks their order ({@link StageRole}), then builds
   * and starts them last to first. Unknown stages, modules that do not load, stages out of order and
   * bad arguments throw `SWARM_ERR_INVALID_ARGUMENT` naming the stage and its position; stages
   * already started are stopped again.
   */
  async start(stages: readonly ChainStage[]): Promise<void> {
    const resolved: Resolved[] = [];
    for (const [i, stage] of stages.entries()) resolved.push(await this.#resolve(stage, `argument ${i + 1}`));
    checkChainOrder(resolved);
    let next: StageActor | undefined;
    const actors: StageActor[] = [];
    for (let i = resolved.length - 1; i >= 0; i--) {
      const { definition, args } = resolved[i] as Resolved;
      const actor = this.#actor(definition, args, `${definition.name}#${i + 1}`, next);
      actors.unshift(actor);
      next = actor;
    }
    try {
      for (let i = actors.length - 1; i >= 0; i--) {
        // The next stage is up: send straight to its actor (its ref is stable while the chain runs).
        const next = actors[i + 1];
        if (next) (actors[i] as StageActor).setDownstream(next.address);
        await this.#startActor(actors[i] as StageActor, (resolved[i] as Resolved).where);
        this.stages.unshift(actors[i] as StageActor);
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /**
   * Builds and starts a stage from a full command line (aggregate's children). It runs with no next
   * stage, so it must be a terminal one.
   */
  readonly spawnStage = (source: string, name: string): Promise<Sender<Message>> =>
    this.#spawn(undefined, source, name);

  async #spawn(owner: StageActor | undefined, source: string, name: string): Promise<Sender<Message>> {
    const shown = redactSecrets(source);
    const { definition, args } = await this.#resolve(source, `child stage "${name || shown}"`);
    if (stageRole(definition) !== 'terminal') {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `child stage "${shown}": ${definition.name} passes requests on to a next stage, and a child stage has none; use a stage that answers itself (simulator, dockerclient, remote, exec)`,
      );
    }
    const childName = name || `${definition.name}.${++this.#childCount}`;
    const parent = owner?.childSupervisor() ?? childrenSupervisor(this.supervisor);
    // A node of the same name from an earlier incarnation of its aggregate goes first.
    await parent.stopChild(childName);
    const actor = this.#actor(definition, args, childName, undefined, { parent, restart: 'permanent' });
    await this.#startActor(actor, `child stage "${shown}"`);
    this.children.push(actor);
    return actor;
  }

  /**
   * Stops the stages first to last, then any children. A stage that does not finish stopping within
   * `stopTimeoutMs` is logged and left behind, so one stuck stage can't keep swarmd from exiting.
   * Idempotent.
   */
  async stop(): Promise<void> {
    const log = this.#log;
    const clock = this.#clock;
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

  /** A stage as a definition and arguments, and how errors name it. */
  async #resolve(stage: ChainStage, position: string): Promise<Resolved> {
    if (typeof stage !== 'string') {
      const definition = 'stage' in stage ? stage.stage : stage;
      const args = 'stage' in stage ? [...(stage.args ?? [])] : [];
      const source = [definition.name, ...args].join(' ');
      return { definition, args, source, where: `${position} (stage "${source}")` };
    }
    const where = `${position} "${redactSecrets(stage)}"`;
    let command: ReturnType<typeof lexStage>;
    try {
      command = lexStage(stage);
    } catch (err) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `${position}: ${redactSecrets((err as Error).message)}`,
        {
          cause: err,
        },
      );
    }
    const found = isModulePath(command.name)
      ? await loadStageModule(command.name, this.#options.cwd).catch((err: SwarmError) => {
          throw new SwarmError(err.code, `${position}: ${err.message}`, { cause: err });
        })
      : (this.#options.lookup ?? findStage)(command.name);
    if (!found) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `${position}: unknown stage "${command.name}"; known stages: ${stageNames().join(', ')}, or a stage module path such as ./my-stage.mjs (see swarmd --help)`,
      );
    }
    return { definition: found, args: command.args, source: stage, where };
  }

  #actor(
    definition: StageDefinition,
    args: string[],
    name: string,
    downstream: StageActor | undefined,
    placement: StagePlacement = { parent: this.supervisor, restart: 'temporary' },
  ): StageActor {
    let actor: StageActor | undefined;
    const ctx: StageContext = {
      name,
      downstream,
      log: this.#log.child({ stage: name }),
      clock: this.#clock,
      // Nodes this stage spawns live under its own supervisor, so they go down with it.
      spawnStage: (source, child) => this.#spawn(actor, source, child),
    };
    const options: ConstructorParameters<typeof StageActor>[3] = {
      ...placement,
      onFailed: (stage, err) => this.#options.onStageFailed?.(stage, err),
    };
    if (this.#options.policy) options.policy = this.#options.policy;
    if (this.#options.observer) options.observer = this.#options.observer;
    actor = new StageActor(definition, args, ctx, options);
    return actor;
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
