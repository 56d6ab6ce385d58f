/**
 * Runs one stage instance as a supervised actor. Its address is a libchan Sender backed by a bounded
 * mailbox; requests are handed to the instance as they arrive (a stage handles many at once). When
 * `handle` throws or rejects, the caught request gets an `error` reply naming the stage, and the
 * instance is restarted — stopped, rebuilt from its definition, started — after an exponential
 * backoff. Requests arriving meanwhile wait in the mailbox. More than `maxRestarts` within
 * `periodMs` and the stage fails for good: queued and later requests get an error reply and the
 * owner is told (swarmd then exits non-zero), like an OTP supervisor giving up.
 * @module
 */

import { type BackoffOptions, backoffDelay, backoffResetAfter, RestartIntensity } from '../actors/backoff.js';
import type { Message } from '../actors/message.js';
import { errorReply } from '../actors/server.js';
import { ErrorCode, SwarmError, toError } from '../errors.js';
import { kSender, type Sender } from '../libchan/types.js';
import { Mailbox } from '../mailbox/index.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

/** Restart policy of a stage. */
export interface RestartPolicy {
  maxRestarts: number;
  periodMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Extra random delay, as a fraction of the backoff (Akka's randomFactor). */
  randomFactor: number;
  random: () => number;
}

/** The policy swarmd uses unless told otherwise. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  periodMs: 10_000,
  minBackoffMs: 100,
  maxBackoffMs: 5_000,
  randomFactor: 0.2,
  random: Math.random,
};

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

/** Lifecycle of a stage actor. */
export type StageStatus =
  | 'created'
  | 'starting'
  | 'running'
  | 'restarting'
  | 'stopping'
  | 'stopped'
  | 'failed';

/** A stage under supervision. */
export class StageActor implements Sender<Message> {
  readonly [kSender] = true as const;
  readonly name: string;
  #status: StageStatus = 'created';
  #instance: StageInstance | undefined;
  #failure: Error | undefined;
  readonly #mailbox: Mailbox<Message>;
  readonly #definition: StageDefinition;
  readonly #args: string[];
  readonly #ctx: StageContext;
  readonly #policy: RestartPolicy;
  readonly #onFailed: (stage: StageActor, err: Error) => void;
  #draining = false;
  readonly #intensity: RestartIntensity;
  readonly #backoff: BackoffOptions;
  #attempt = 0;
  #restartCount = 0;
  #lastStart = 0;
  /** Bumped on every build, so a late `crash` from a replaced instance is recognised and ignored. */
  #generation = 0;

  constructor(
    definition: StageDefinition,
    args: string[],
    ctx: StageContext,
    options: {
      policy?: RestartPolicy;
      capacity?: number;
      onFailed?: (stage: StageActor, err: Error) => void;
    } = {},
  ) {
    this.name = ctx.name;
    this.#definition = definition;
    this.#args = args;
    this.#ctx = ctx;
    this.#policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.#onFailed = options.onFailed ?? (() => {});
    this.#intensity = new RestartIntensity(this.#policy.maxRestarts, this.#policy.periodMs);
    this.#backoff = backoffOptions(this.#policy);
    this.#mailbox = new Mailbox<Message>({
      capacity: options.capacity ?? 1024,
      overflow: 'backpressure',
      onReadable: () => this.#scheduleDrain(),
      onDeadLetter: (m) => this.#refuse(m, 'stopped'),
    });
  }

  /** Restarts so far (for tests and `docker info`-style reports). */
  get restartCount(): number {
    return this.#restartCount;
  }

  get status(): StageStatus {
    return this.#status;
  }

  get closed(): boolean {
    return this.#mailbox.isClosed;
  }

  /** The running instance (for startup lines and tests). */
  get instance(): StageInstance | undefined {
    return this.#instance;
  }

  /** Queues a request for the stage. Refused with an error reply once the stage has failed or stopped. */
  send(message: Message): Promise<void> | undefined {
    if (this.#mailbox.isClosed) {
      this.#refuse(message, this.#status);
      return undefined;
    }
    return this.#mailbox.send(message);
  }

  /** Stops accepting requests; the stage itself is stopped by {@link StageActor.stop}. */
  close(): void {
    this.#mailbox.close();
  }

  /** Builds and starts the instance. A failure here is a configuration error: it is thrown, not retried. */
  async start(): Promise<StageInstance> {
    this.#status = 'starting';
    this.#lastStart = this.#ctx.clock.now();
    const generation = ++this.#generation;
    const ctx: SupervisedStageContext = {
      ...this.#ctx,
      crash: (err) => {
        if (generation !== this.#generation || this.#status !== 'running') return;
        this.#ctx.log.error({ err }, `stage ${this.name} crashed: ${err.message}`);
        void this.#restart(err);
      },
    };
    const instance = await this.#definition.create(this.#args, ctx);
    await instance.start?.();
    this.#instance = instance;
    this.#status = 'running';
    this.#scheduleDrain();
    return instance;
  }

  /** Stops the instance and refuses queued and later requests. Idempotent. */
  async stop(): Promise<void> {
    if (this.#status === 'stopped' || this.#status === 'stopping') return;
    this.#status = 'stopping';
    this.#mailbox.close();
    try {
      await this.#instance?.stop?.();
    } finally {
      this.#instance = undefined;
      this.#status = 'stopped';
    }
  }

  #scheduleDrain(): void {
    if (this.#draining || this.#status !== 'running') return;
    this.#draining = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#draining = false;
    // Up to one batch per turn, then yield to I/O so a flood on one stage can't starve sockets.
    for (let n = 0; n < 256 && this.#status === 'running'; n++) {
      const message = this.#mailbox.shift();
      if (message === undefined) return;
      this.#dispatch(message);
    }
    if (!this.#mailbox.isEmpty && this.#status === 'running') {
      this.#draining = true;
      setImmediate(() => this.#drain());
    }
  }

  #dispatch(message: Message): void {
    const instance = this.#instance as StageInstance;
    try {
      const pending = instance.handle(message);
      if (pending) pending.catch((err: unknown) => this.#crashed(message, instance, err));
    } catch (err) {
      this.#crashed(message, instance, err);
    }
  }

  #crashed(message: Message, instance: StageInstance, thrown: unknown): void {
    const err = toError(thrown);
    this.#ctx.log.error({ err, verb: message.verb }, `stage ${this.name} crashed handling ${message.verb}`);
    this.#answer(
      message,
      new SwarmError(ErrorCode.ActorFailed, `stage ${this.name} failed: ${err.message}`, {
        cause: err,
        details: { status: 500, stage: this.name },
      }),
    );
    // Only the first crash of an instance restarts it; later in-flight failures of the same instance
    // are answered and forgotten.
    if (instance !== this.#instance || this.#status !== 'running') return;
    void this.#restart(err);
  }

  async #restart(cause: Error): Promise<void> {
    const now = this.#ctx.clock.now();
    // A stage that ran quietly for the reset period starts its backoff over (Akka's resetBackoffAfter).
    if (now - this.#lastStart >= backoffResetAfter(this.#backoff)) this.#attempt = 0;
    if (this.#intensity.exceeded(now)) {
      this.#fail(
        new SwarmError(
          ErrorCode.RestartIntensity,
          `stage ${this.name} crashed more than ${this.#policy.maxRestarts} times in ${this.#policy.periodMs} ms; giving up`,
          { cause },
        ),
      );
      return;
    }
    const attempt = this.#attempt++;
    this.#restartCount++;
    this.#status = 'restarting';
    const old = this.#instance;
    this.#instance = undefined;
    await old
      ?.stop?.()
      .catch((err: unknown) => this.#ctx.log.warn({ err }, `stage ${this.name}: stop during restart failed`));
    const delay = backoffDelay(attempt, this.#backoff);
    this.#ctx.log.warn(`stage ${this.name}: restarting in ${Math.round(delay)} ms (restart ${attempt + 1})`);
    await new Promise<void>((resolve) => this.#ctx.clock.setTimeout(resolve, delay));
    if (this.#status !== 'restarting') return; // stopped meanwhile
    try {
      await this.start();
      this.#ctx.log.info(`stage ${this.name}: restarted`);
    } catch (err) {
      this.#fail(toError(err));
    }
  }

  #fail(err: Error): void {
    this.#status = 'failed';
    this.#failure = err;
    this.#ctx.log.error({ err }, `stage ${this.name} failed`);
    this.#mailbox.close(); // queued requests are dead-lettered → refused with an error reply
    this.#onFailed(this, err);
  }

  #refuse(message: Message, why: string): void {
    const reason = this.#failure ? `: ${this.#failure.message}` : '';
    this.#answer(
      message,
      new SwarmError(ErrorCode.ActorStopped, `stage ${this.name} is ${why}${reason}`, {
        details: { status: 503, stage: this.name },
      }),
    );
  }

  #answer(message: Message, err: SwarmError): void {
    message.stream?.destroy();
    const ret = message.ret;
    if (!ret || ret.closed) return;
    try {
      void ret.send(errorReply(err))?.catch(() => {});
      ret.close();
    } catch {
      // the requester is gone; nobody is left to tell
    }
  }
}

/** The actors layer's backoff options for a stage's restart policy. */
export function backoffOptions(policy: RestartPolicy): BackoffOptions {
  return {
    min: policy.minBackoffMs,
    max: policy.maxBackoffMs,
    randomFactor: policy.randomFactor,
    random: policy.random,
  };
}
