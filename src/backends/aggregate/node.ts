/**
 * One child of the aggregate: its address, its health machine, and the last things it told us (info,
 * container rows, images). Every call goes through {@link AggregateNode.call}, {@link AggregateNode.ask} or
 * {@link AggregateNode.forward}, which put a deadline on it and report the outcome to the health
 * machine; a node that is down fails calls at once, naming itself, instead of letting them hang, and
 * the calls still in flight when it is declared down fail then, not at their own (up to 30 s) deadline.
 *
 * This file is the health side: the machine, its probe, what an outcome does to it, and cutting the
 * calls in flight on a down verdict. The calls themselves are in `node-calls.ts` ({@link NodeCalls}).
 * @module
 */
import type { ErrorArgs, Message } from '../../actors/message.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerResult } from '../docker/api.js';
import { StageActor } from '../stage-actor.js';
import { isUnreachable } from './calls.js';
import type { ContainerRow } from './filters.js';
import {
  createHealthActor,
  type HealthActor,
  type HealthOptions,
  type HealthState,
  healthState,
  isSettledHealthy,
} from './health.js';
import type { ImageRow } from './merge-system.js';
import { type NodeCallOptions, NodeCalls } from './node-calls.js';

export type { CallDone } from './node-calls.js';

/** How to build a node. */
export interface NodeOptions extends NodeCallOptions {
  /** The stage command it was spawned from. */
  command: string;
  health?: Partial<HealthOptions>;
  /** Called on every change of top-level health state. */
  onHealthChange?: (node: AggregateNode, from: HealthState, to: HealthState) => void;
}

/** One supervised child. */
export class AggregateNode extends NodeCalls {
  readonly command: string;
  /** Last `/info` body. */
  info: Record<string, unknown> | undefined;
  /** Last full container list (`all=1`), shown as `Host Down` rows while the node does not answer. */
  rows: ContainerRow[] = [];
  /**
   * Last full image listing (`docker images`, from listings, reconnects and image events): shown as the
   * node's, `Host Down`, while it does not answer, and what a call for an image only it holds names.
   */
  images: ImageRow[] = [];
  /** Creates in flight to this node (placement counts them). */
  pending = 0;
  readonly #health: HealthActor;
  /** Time of the last success not sent to the machine (see {@link report}). */
  #lastOk: number | undefined;

  constructor(opts: NodeOptions) {
    super(opts);
    this.command = opts.command;
    // Starts the machine, whose first probe goes out now: everything the call path needs is set.
    this.#health = createHealthActor(() => this.#probe(), opts.clock, opts.health);
    let last = healthState(this.#health);
    // The node's stage carries its health, so an inspector of the tree sees it (swarmd --admin).
    const stage = opts.address instanceof StageActor ? opts.address : undefined;
    if (stage) stage.health = { state: last, since: opts.clock.now() };
    this.#health.subscribe(() => {
      const now = healthState(this.#health);
      if (stage?.health && (stage.health.state !== now || stage.health.reason !== this.lastError)) {
        stage.health = {
          state: now,
          since: now === stage.health.state ? stage.health.since : opts.clock.now(),
        };
        if (this.lastError !== undefined) stage.health.reason = this.lastError;
      }
      if (now !== last) {
        const from = last;
        last = now;
        // A down node will not answer in time: fail what waits on it now, naming it.
        if (!this.reachable) this.cutInFlight();
        opts.onHealthChange?.(this, from, now);
      }
    });
  }

  /** Current health. */
  get health(): HealthState {
    return healthState(this.#health);
  }

  /** Last failure text, cleared by a success. */
  get lastError(): string | undefined {
    return this.#health.getSnapshot().context.lastError;
  }

  /** Clock time of the last success. */
  get updatedAt(): number | undefined {
    const fromMachine = this.#health.getSnapshot().context.updatedAt;
    if (this.#lastOk === undefined) return fromMachine;
    return fromMachine === undefined ? this.#lastOk : Math.max(fromMachine, this.#lastOk);
  }

  /** False while down or backing off: calls fail fast. */
  override get reachable(): boolean {
    const h = this.health;
    return h !== 'down' && h !== 'backoff';
  }

  /** The error for calls to a node that is down. */
  override downError(): SwarmError {
    const why = this.lastError ? ` (last error: ${this.lastError})` : '';
    return new SwarmError(ErrorCode.NodeDown, `node ${this.name} is ${this.health}${why}`, {
      details: { node: this.name, status: 503 },
    });
  }

  /** Stops the health machine and closes the child's address. */
  stop(): void {
    this.#health.stop();
    this.address.close();
  }

  #probe(): Promise<void> {
    // One microtask late: xstate starts the first probe inside createHealthActor, before the constructor
    // has stored the machine, and a child that answers or fails synchronously reports to it.
    return Promise.resolve().then(() => this.#probeNow());
  }

  #probeNow(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.send(
        'get',
        { op: 'info', query: {} },
        this.deadline,
        (r, err) => {
          if (!r) return reject(err);
          if (r.verb === 'error') {
            const e = r.args as ErrorArgs;
            if (isUnreachable(e)) return reject(new Error(e.message));
          } else if (r.verb === 'set') {
            this.info = (r.args as DockerResult).body as Record<string, unknown>;
          }
          resolve();
        },
        undefined,
        true,
      );
    });
  }

  protected override report(reply: Message): void {
    if (reply.verb === 'error' && isUnreachable(reply.args as ErrorArgs)) {
      this.#health.send({ type: 'fail', error: (reply.args as ErrorArgs).message });
    } else if (isSettledHealthy(this.#health)) {
      // The event would change nothing but the time: skip the machine (1,000 events per listing).
      this.#lastOk = this.clock.now();
    } else this.#health.send({ type: 'ok' });
  }

  protected override reportFailure(error: string): void {
    this.#health.send({ type: 'fail', error });
  }
}
