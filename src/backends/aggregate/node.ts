/**
 * One child of the aggregate: its address, its health machine, and the last things it told us (info,
 * container rows). Every call goes through {@link AggregateNode.ask} or {@link AggregateNode.forward},
 * which put a deadline on it and report the outcome to the health machine; a node that is down fails
 * calls at once, naming itself, instead of letting them hang.
 * @module
 */
import type { ErrorArgs, Message, Verb } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import type { ContainerRow } from './filters.js';
import {
  createHealthActor,
  type HealthActor,
  type HealthOptions,
  type HealthState,
  healthState,
} from './health.js';
import { replyError, replyProxy, replySink } from './reply.js';

/** How to build a node. */
export interface NodeOptions {
  name: string;
  /** The stage command it was spawned from. */
  command: string;
  address: Sender<Message>;
  clock: Clock;
  /** Deadline for reads and probes, ms. */
  deadline: number;
  /** Deadline for forwarded and container-changing calls, ms (default: `deadline`). */
  opDeadline?: number;
  health?: Partial<HealthOptions>;
  /** Called on every change of top-level health state. */
  onHealthChange?: (node: AggregateNode, from: HealthState, to: HealthState) => void;
}

/** What a shared fan-out deadline resolves to when it passes (see `Cluster.fanOut`). */
export const EXPIRED: unique symbol = Symbol('aggregate.expired');

/** Forwarded ops that only read: they get the short deadline, like lists (a hung node fails them fast). */
const READS = new Set<string>([
  'ping',
  'container.inspect',
  'container.top',
  'container.changes',
  'exec.inspect',
]);

/** Child error codes that mean "the node is unreachable", as opposed to a Docker-level answer. */
const UNREACHABLE = new Set<string>([ErrorCode.ConnectionLost, ErrorCode.DeadlineExceeded, ErrorCode.Closed]);

/** One supervised child. */
export class AggregateNode {
  readonly name: string;
  readonly command: string;
  /** Last `/info` body. */
  info: Record<string, unknown> | undefined;
  /** Last full container list (`all=1`), shown as `Host Down` rows while the node does not answer. */
  rows: ContainerRow[] = [];
  /** Creates in flight to this node (placement counts them). */
  pending = 0;
  readonly #address: Sender<Message>;
  readonly #clock: Clock;
  readonly #deadline: number;
  /** Deadline of container-changing calls; public so create can use it with {@link result}. */
  readonly opDeadline: number;
  readonly #health: HealthActor;
  /** Time of the last success not sent to the machine (see `#report`). */
  #lastOk: number | undefined;

  constructor(opts: NodeOptions) {
    this.name = opts.name;
    this.command = opts.command;
    this.#address = opts.address;
    this.#clock = opts.clock;
    this.#deadline = opts.deadline;
    this.opDeadline = opts.opDeadline ?? opts.deadline;
    this.#health = createHealthActor(() => this.#probe(), opts.clock, opts.health);
    let last = healthState(this.#health);
    this.#health.subscribe(() => {
      const now = healthState(this.#health);
      if (now !== last) {
        const from = last;
        last = now;
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
  get reachable(): boolean {
    const h = this.health;
    return h !== 'down' && h !== 'backoff';
  }

  /**
   * Sends one request and resolves with the first reply (`set`, `ack` with a stream, or `error`).
   * Rejects with `SWARM_ERR_NODE_DOWN` at once when the node is down, `SWARM_ERR_DEADLINE_EXCEEDED`
   * after the deadline.
   */
  ask(
    verb: Verb,
    args: DockerArgs,
    deadline = this.#deadline,
    expired?: Promise<typeof EXPIRED>,
  ): Promise<Message> {
    if (!this.reachable) return Promise.reject(this.downError());
    return this.#ask(verb, args, deadline, expired);
  }

  /** Like {@link ask} but resolves with the `set` result, turning an `error` reply into a SwarmError. */
  async result(
    verb: Verb,
    args: DockerArgs,
    deadline?: number,
    expired?: Promise<typeof EXPIRED>,
  ): Promise<DockerResult> {
    const reply = await this.ask(verb, args, deadline ?? this.#deadline, expired);
    if (reply.verb === 'error') throw remoteError(this.name, reply.args as ErrorArgs);
    if (reply.verb !== 'set') {
      reply.stream?.destroy();
      throw new SwarmError(
        ErrorCode.UnexpectedVerb,
        `node ${this.name} answered ${reply.verb} to ${args.op}`,
      );
    }
    return reply.args as DockerResult;
  }

  /**
   * Forwards a client request with rewritten `args`; the child's replies go straight to the client.
   * If no first reply comes within the op deadline (plus a stop's own timeout) the client gets a 504
   * naming the node; a read is slow only on a sick node, so hung ones are found by lists and probes
   * at the short deadline, not here. `onFirst` sees
   * the first reply (e.g. to record an exec id) before the client does.
   */
  forward(
    message: Message,
    args: DockerArgs,
    onFirst?: (m: Message) => void,
    changes = !READS.has(args.op),
  ): void {
    if (!this.reachable) {
      replyError(message.ret, this.downError());
      return;
    }
    const deadline = changes ? this.opDeadline + graceFor(args) : this.#deadline;
    const timer = this.#clock.setTimeout(() => {
      proxy.cut();
      const err = this.#deadlineError(args.op, deadline);
      this.#health.send({ type: 'fail', error: err.message });
      replyError(message.ret, err);
    }, deadline);
    const proxy = replyProxy(message.ret, (first) => {
      this.#clock.clearTimeout(timer);
      this.#report(first);
      onFirst?.(first);
    });
    try {
      void this.#address
        .send({ ...message, args, ret: proxy.sender })
        ?.catch((e) => this.#sendFailed(e, timer, message));
    } catch (e) {
      this.#sendFailed(e, timer, message);
    }
  }

  /** The error for calls to a node that is down. */
  downError(): SwarmError {
    const why = this.lastError ? ` (last error: ${this.lastError})` : '';
    return new SwarmError(ErrorCode.NodeDown, `node ${this.name} is ${this.health}${why}`, {
      details: { node: this.name, status: 503 },
    });
  }

  /** Stops the health machine and closes the child's address. */
  stop(): void {
    this.#health.stop();
    this.#address.close();
  }

  async #probe(): Promise<void> {
    const r = await this.#ask('get', { op: 'info', query: {} }, this.#deadline);
    if (r.verb === 'error') {
      const e = r.args as ErrorArgs;
      if (isUnreachable(e)) throw new Error(e.message);
    } else if (r.verb === 'set') {
      this.info = (r.args as DockerResult).body as Record<string, unknown>;
    }
  }

  /** `shared`: a deadline owned by the caller (one for a whole fan-out) instead of a timer of our own. */
  #ask(verb: Verb, args: DockerArgs, deadline: number, shared?: Promise<typeof EXPIRED>): Promise<Message> {
    const { sender, first } = replySink();
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const expired = shared
      ? shared.then((): never => {
          throw this.#deadlineError(args.op, deadline);
        })
      : new Promise<never>((_, reject) => {
          timer = this.#clock.setTimeout(() => reject(this.#deadlineError(args.op, deadline)), deadline);
        });
    try {
      void this.#address.send({ verb, args, ret: sender })?.catch(() => sender.close());
    } catch {
      sender.close();
    }
    return Promise.race([first, expired]).then(
      (reply) => {
        if (timer) this.#clock.clearTimeout(timer);
        this.#report(reply);
        return reply;
      },
      (err: Error) => {
        if (timer) this.#clock.clearTimeout(timer);
        this.#health.send({ type: 'fail', error: err.message });
        throw err instanceof SwarmError
          ? err
          : new SwarmError(ErrorCode.ConnectionLost, `node ${this.name}: ${err.message}`);
      },
    );
  }

  #report(reply: Message): void {
    if (reply.verb === 'error' && isUnreachable(reply.args as ErrorArgs)) {
      this.#health.send({ type: 'fail', error: (reply.args as ErrorArgs).message });
    } else if (this.#settledHealthy()) {
      // The event would change nothing but the time: skip the machine (1,000 events per listing).
      this.#lastOk = this.#clock.now();
    } else this.#health.send({ type: 'ok' });
  }

  /** Healthy with nothing to reset: an `ok` event would only refresh `updatedAt`. */
  #settledHealthy(): boolean {
    const s = this.#health.getSnapshot();
    return (
      healthState(this.#health) === 'healthy' &&
      s.context.failures === 0 &&
      s.context.attempt === 0 &&
      s.context.lastError === undefined
    );
  }

  #sendFailed(e: unknown, timer: ReturnType<Clock['setTimeout']>, message: Message): void {
    this.#clock.clearTimeout(timer);
    const err = new SwarmError(ErrorCode.ConnectionLost, `node ${this.name}: ${(e as Error).message}`);
    this.#health.send({ type: 'fail', error: err.message });
    replyError(message.ret, err);
  }

  #deadlineError(op: string, ms: number): SwarmError {
    return new SwarmError(
      ErrorCode.DeadlineExceeded,
      `node ${this.name} did not answer ${op} within ${ms} ms`,
      {
        details: { node: this.name, status: 504 },
      },
    );
  }
}

/** Extra time for calls that wait on purpose: stop/restart wait up to `t` seconds before killing. */
function graceFor(args: DockerArgs): number {
  if (args.op !== 'container.stop' && args.op !== 'container.restart') return 0;
  const t = Number(args.query.t ?? args.query.timeout ?? 10);
  return Number.isFinite(t) && t > 0 ? t * 1000 : 0;
}

function isUnreachable(e: ErrorArgs): boolean {
  return (
    (e.code !== undefined && UNREACHABLE.has(e.code)) ||
    e.status === 502 ||
    e.status === 503 ||
    e.status === 504
  );
}

/** A child's `error` reply as a SwarmError that keeps its HTTP status. */
export function remoteError(node: string, e: ErrorArgs): SwarmError {
  const code =
    e.status === 404 ? ErrorCode.NotFound : e.status === 409 ? ErrorCode.Conflict : ErrorCode.Remote;
  return new SwarmError(code, e.message, { details: { node, status: e.status ?? 500, remoteCode: e.code } });
}
