/**
 * A stage under supervision, on the actor runtime of src/actors: each stage is an actor (bounded
 * mailbox, xstate lifecycle) under a supervisor of its own that carries the stage's restart policy,
 * and that supervisor is a child of the chain's supervisor (or of an aggregate's children supervisor).
 * This file only adapts a {@link StageDefinition} to a runtime {@link Behavior}: build the instance on
 * start, hand every request to `handle` (many at once: the actor's `concurrency` is unbounded, the
 * mailbox is the bound), answer a request whose handler failed, stop the instance when the incarnation
 * ends. Restarts, backoff, intensity and giving up are the runtime's.
 * @module
 */

import type { ActorRef } from '../actors/actor-ref.js';
import type { ActorContext, Behavior, BehaviorSource, ExitReason } from '../actors/behavior.js';
import type { Message } from '../actors/message.js';
import { refuse } from '../actors/reply.js';
import { Supervisor } from '../actors/supervisor.js';
import { ActorSystem } from '../actors/system.js';
import { ErrorCode, SwarmError } from '../errors.js';
import { kSender, type Sender } from '../libchan/types.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';
import type { HealthReport, RequestObserver } from './stage-observe.js';
import {
  backoffOptions,
  childrenSupervisor,
  DEFAULT_RESTART_POLICY,
  type RestartPolicy,
  type StagePlacement,
} from './stage-tree.js';

export type { HealthReport, RequestObserver, RequestSampler } from './stage-observe.js';
export {
  backoffOptions,
  CHILD_REBUILD_BACKOFF,
  childrenSupervisor,
  DEFAULT_RESTART_POLICY,
  type RestartPolicy,
  type StagePlacement,
} from './stage-tree.js';

/**
 * The context a supervised stage gets: a {@link StageContext} plus `crash`, which a stage calls when
 * something it owns dies outside any request (an exec stage's child process exits). The supervisor
 * then restarts the stage exactly as if `handle` had thrown; requests arriving meanwhile wait.
 * Calls from an instance that was already replaced are ignored.
 */
export interface SupervisedStageContext extends StageContext {
  crash(err: Error): void;
}

/** True when `ctx` comes from a supervisor that accepts {@link SupervisedStageContext.crash}. */
export function isSupervised(ctx: StageContext): ctx is SupervisedStageContext {
  return typeof (ctx as Partial<SupervisedStageContext>).crash === 'function';
}

/** Lifecycle of a stage actor, as startup lines and tests see it. */
export type StageStatus =
  | 'created'
  | 'starting'
  | 'running'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** Name of the supervisor of a stage's own actors (sessions, links), under the stage's own supervisor. */
const ACTORS = 'actors';

/**
 * A stage under supervision. Its address (this object, a Sender) stays the same across restarts and
 * rebuilds; it forwards to the stage actor's current ref.
 */
export class StageActor implements Sender<Message> {
  readonly [kSender] = true as const;
  readonly name: string;
  readonly definition: StageDefinition;
  /** The stage's own supervisor (one actor child, named after the stage). */
  supervisor: Supervisor | undefined;
  #status: StageStatus = 'created';
  #instance: StageInstance | undefined;
  #failure: Error | undefined;
  #closed = false;
  #cached: ActorRef<Message> | undefined;
  readonly #args: string[];
  #ctx: StageContext;
  readonly #policy: RestartPolicy;
  readonly #capacity: number;
  readonly #placement: StagePlacement;
  readonly #onFailed: (stage: StageActor, err: Error) => void;
  readonly #observer: RequestObserver | undefined;
  /** The health of what this stage talks to, when its owner reports one (an aggregate's node). */
  health: HealthReport | undefined;
  #restartCount = 0;
  #actorCount = 0;
  /** Bumped on every build, so a late `crash` from a replaced instance is recognised and ignored. */
  #generation = 0;
  /** The previous incarnation's stop, which the next build waits for (it may hold the listen address). */
  #stopping: Promise<void> = Promise.resolve();

  constructor(
    definition: StageDefinition,
    args: string[],
    ctx: StageContext,
    options: {
      policy?: RestartPolicy;
      capacity?: number;
      onFailed?: (stage: StageActor, err: Error) => void;
      observer?: RequestObserver;
    } & StagePlacement = {},
  ) {
    this.name = ctx.name;
    this.definition = definition;
    this.#args = args;
    this.#ctx = ctx;
    this.#policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.#capacity = options.capacity ?? 1024;
    this.#placement = options;
    this.#onFailed = options.onFailed ?? (() => {});
    this.#observer = options.observer;
  }

  /**
   * Where an earlier stage should send: the actor's own ref when it is stable for the chain's life (a
   * top-level stage: restarts keep its actor and mailbox), else this object, which follows rebuilds.
   * Skipping this wrapper on every hop is worth ~10 % on a 10-stage chain (bench/chain.bench.ts).
   */
  get address(): Sender<Message> {
    return (this.#placement.restart ?? 'temporary') === 'temporary' ? (this.#ref() ?? this) : this;
  }

  /** Points this stage at `next` (its {@link address}); called before this stage starts. */
  setDownstream(next: Sender<Message>): void {
    this.#ctx = { ...this.#ctx, downstream: next };
  }

  /** Restarts so far (for tests and `docker info`-style reports). */
  get restartCount(): number {
    return this.#restartCount;
  }

  get status(): StageStatus {
    if (this.#status !== 'running') return this.#status;
    const state = this.#ref()?.state;
    return state === 'restarting' || state === 'starting' ? 'restarting' : 'running';
  }

  get closed(): boolean {
    return this.#closed || this.#status === 'stopped' || this.#status === 'failed';
  }

  /** The running instance (for startup lines and tests). */
  get instance(): StageInstance | undefined {
    return this.#instance;
  }

  /** Queues a request for the stage. Refused with an error reply once the stage has failed or stopped. */
  send(message: Message): Promise<void> | undefined {
    // The hot path: one cached ref, valid until its actor is replaced (a supervisor rebuild makes a
    // new one) or this stage is closed.
    let ref = this.#cached;
    if (ref === undefined || ref.closed) {
      ref = this.#ref();
      if (ref === undefined || this.closed) {
        this.#refuse(message);
        return undefined;
      }
      this.#cached = ref;
    }
    return ref.send(message);
  }

  /**
   * Stops accepting requests. A spawned stage (an aggregate's node) is then stopped for good: its
   * owner let go of its only address.
   */
  close(): void {
    this.#closed = true;
    this.#cached = undefined;
    if (this.#placement.restart === 'permanent') void this.stop();
  }

  /**
   * Makes the stage's supervisor, builds and starts the first instance, then the actor around it. A
   * failure here is a configuration error: it is thrown, not retried (the supervisor is removed again).
   */
  async start(): Promise<StageInstance> {
    this.#status = 'starting';
    const parent = this.#parent();
    const sup = parent.startSupervisor(
      this.name,
      {
        intensity: this.#policy.maxRestarts,
        period: this.#policy.periodMs,
        backoff: backoffOptions(this.#policy),
      },
      this.#placement.restart ?? 'temporary',
    );
    this.supervisor = sup;
    let first: StageInstance;
    try {
      first = await this.#build();
    } catch (err) {
      this.#status = 'stopped';
      await parent.stopChild(this.name);
      throw err;
    }
    let prebuilt: StageInstance | undefined = first;
    sup.startChild<Message>({
      id: this.name,
      capacity: this.#capacity,
      concurrency: Number.POSITIVE_INFINITY,
      behavior: () => {
        const ready = prebuilt;
        prebuilt = undefined;
        return this.#behavior(ready);
      },
    });
    this.#status = 'running';
    void sup.terminated.then((reason) => this.#ended(reason));
    return first;
  }

  /**
   * The supervisor of the stages this one spawns (an aggregate's nodes): a child of this stage's own
   * supervisor, so they go down with it. A node that gives up is rebuilt after a capped backoff; it
   * never takes the stage, or swarmd, down with it.
   */
  childSupervisor(): Supervisor {
    const sup = this.supervisor;
    if (!sup) throw new SwarmError(ErrorCode.Closed, `stage ${this.name} is ${this.#status}`);
    return childrenSupervisor(sup);
  }

  /** Stops the instance and refuses later requests. Idempotent. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#status = 'stopping';
    this.#cached = undefined;
    try {
      if (this.supervisor) await this.#parent().stopChild(this.name);
      await this.#stopping;
    } finally {
      this.#instance = undefined;
      this.#status = 'stopped';
    }
  }

  #parent(): Supervisor {
    this.#placement.parent ??= new Supervisor(new ActorSystem({ clock: this.#ctx.clock }), {
      name: this.name,
    });
    return this.#placement.parent;
  }

  #ref() {
    return this.supervisor?.child<Message>(this.name);
  }

  /** One incarnation: `ready` is the first instance (built by start()); later ones build their own. */
  #behavior(ready: StageInstance | undefined): Behavior<Message> {
    let instance = ready;
    /** Set by the stop hook: a build still running then belongs to an incarnation that is over. */
    let ended = false;
    const self = this;
    const sampler = this.#observer?.stage(this.name);
    const behavior: Behavior<Message> = {
      start(ctx: ActorContext<Message>) {
        if (instance) return;
        return (async () => {
          await self.#stopping;
          self.#restartCount++;
          const built = await self.#build(ctx);
          if (ended) {
            // The incarnation failed or was stopped while it was being built: nobody will use this one.
            await Promise.resolve(built.stop?.()).catch(() => {});
            return;
          }
          instance = built;
          self.#ctx.log.info(`stage ${self.name}: restarted`);
        })();
      },
      receive(message) {
        return (instance as StageInstance).handle(message) ?? undefined;
      },
      onFailure(message, error) {
        self.#ctx.log.error(
          { err: error, verb: message?.verb },
          `stage ${self.name} crashed handling ${message?.verb}`,
        );
        refuse(
          message,
          new SwarmError(ErrorCode.ActorFailed, `stage ${self.name} failed: ${error.message}`, {
            cause: error,
            details: { status: 500, stage: self.name },
          }),
        );
      },
      stop() {
        ended = true;
        const old = instance;
        instance = undefined;
        if (self.#instance === old) self.#instance = undefined;
        const stopped = Promise.resolve(old?.stop?.()).catch((err: unknown) =>
          self.#ctx.log.warn({ err }, `stage ${self.name}: stop failed`),
        );
        self.#stopping = stopped;
        return stopped;
      },
    };
    // With an observer (swarmd --admin) the sampler switches between a receive that hands it each
    // request and the plain one.
    if (sampler !== undefined) {
      const plain = behavior.receive;
      const sampling: Behavior<Message>['receive'] = (message, actor) =>
        (instance as StageInstance).handle(sampler.take(message, actor)) ?? undefined;
      sampler.attach((on) => {
        behavior.receive = on ? sampling : plain;
      });
      behavior.receive = sampling;
    }
    return behavior;
  }

  /** A temporary actor of this stage, under its `actors` supervisor (see StageContext.spawnActor). */
  #spawnActor<T>(name: string, behavior: BehaviorSource<T>): ActorRef<T> {
    const sup = this.supervisor;
    if (!sup) throw new SwarmError(ErrorCode.Closed, `stage ${this.name} is ${this.#status}`);
    const actors = sup.childSupervisor(ACTORS) ?? sup.startSupervisor(ACTORS, { intensity: 0, period: 1 });
    return actors.startChild({ id: `${name} #${++this.#actorCount}`, behavior, restart: 'temporary' });
  }

  /** Builds and starts one instance; `actor` is the incarnation's context for `crash`. */
  async #build(actor?: ActorContext<Message>): Promise<StageInstance> {
    const generation = ++this.#generation;
    let ctxRef = actor;
    const ctx: SupervisedStageContext = {
      ...this.#ctx,
      spawnActor: (name, behavior) => this.#spawnActor(name, behavior),
      crash: (err) => {
        if (generation !== this.#generation || this.#status !== 'running') return;
        this.#ctx.log.error({ err }, `stage ${this.name} crashed: ${err.message}`);
        ctxRef ??= this.supervisor?.child<Message>(this.name)?._cell;
        ctxRef?.fail(err);
      },
    };
    const instance = await this.definition.create(this.#args, ctx);
    await instance.start?.();
    this.#instance = instance;
    return instance;
  }

  /** The stage's supervisor ended: stopped with the chain, or gave up after too many restarts. */
  #ended(reason: ExitReason): void {
    if (!(reason instanceof Error) || this.#status === 'stopping' || this.#status === 'stopped') return;
    const err = new SwarmError(
      ErrorCode.RestartIntensity,
      `stage ${this.name} crashed more than ${this.#policy.maxRestarts} times in ${this.#policy.periodMs} ms; giving up`,
      { cause: reason },
    );
    this.#status = 'failed';
    this.#failure = err;
    this.#ctx.log.error({ err }, `stage ${this.name} failed`);
    this.#onFailed(this, err);
  }

  #refuse(message: Message): void {
    const why = this.#status === 'failed' ? 'failed' : this.#closed ? 'closed' : this.#status;
    const reason = this.#failure ? `: ${this.#failure.message}` : '';
    refuse(
      message,
      new SwarmError(ErrorCode.ActorStopped, `stage ${this.name} is ${why}${reason}`, {
        details: { status: 503, stage: this.name },
      }),
    );
  }
}
