/**
 * One child of the aggregate: its address, its health machine, and the last things it told us (info,
 * container rows). Every call goes through {@link AggregateNode.call}, {@link AggregateNode.ask} or
 * {@link AggregateNode.forward}, which put a deadline on it and report the outcome to the health
 * machine; a node that is down fails calls at once, naming itself, instead of letting them hang, and
 * the calls still in flight when it is declared down fail then, not at their own (up to 30 s) deadline.
 * @module
 */
import type { ErrorArgs, Message, Verb } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import { type DockerArgs, type DockerResult, withParsedBody } from '../docker/api.js';
import { graceFor, isUnreachable, READS, remoteError, type SharedDeadline } from './calls.js';
import type { ContainerRow } from './filters.js';
import {
  createHealthActor,
  type HealthActor,
  type HealthOptions,
  type HealthState,
  healthState,
  isSettledHealthy,
} from './health.js';
import { replyCallback, replyError, replyProxy } from './reply.js';

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

/** How a call ends: with the child's first reply, or with an error (deadline, closed channel, node down). */
export type CallDone = (reply: Message | undefined, error?: SwarmError) => void;

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
  /**
   * How to end each call in flight when the node is declared down. Probes are not in it: the `down`
   * state's own probe is what brings the node back.
   */
  readonly #inFlight = new Set<(err: SwarmError) => void>();

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
        // A down node will not answer in time: fail what waits on it now, naming it.
        if (!this.reachable) this.#cutInFlight();
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

  /** Calls in flight that a down verdict would cut short (for tests and inspection). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Sends one request; `done` gets the first reply (`set`, `ack` with a stream, or `error`) or the
   * error: `SWARM_ERR_NODE_DOWN` at once when the node is down (or when it is declared down while the
   * call waits), `SWARM_ERR_DEADLINE_EXCEEDED` after the deadline. `shared`: a fan-out's deadline
   * instead of a timer of this call's own. May call `done` before returning.
   */
  call(
    verb: Verb,
    args: DockerArgs,
    done: CallDone,
    deadline = this.#deadline,
    shared?: SharedDeadline,
  ): void {
    if (!this.reachable) done(undefined, this.downError());
    else this.#call(verb, args, deadline, done, shared, false);
  }

  /** {@link call} as a promise. */
  ask(verb: Verb, args: DockerArgs, deadline = this.#deadline): Promise<Message> {
    return new Promise((resolve, reject) => {
      this.call(verb, args, (reply, err) => (reply ? resolve(reply) : reject(err)), deadline);
    });
  }

  /** Like {@link ask} but resolves with the `set` result, turning an `error` reply into a SwarmError. */
  async result(verb: Verb, args: DockerArgs, deadline?: number): Promise<DockerResult> {
    return this.toResult(await this.ask(verb, args, deadline ?? this.#deadline), args);
  }

  /** A first reply as a `set` result; an `error` reply (or a stream where none was expected) throws. */
  toResult(reply: Message, args: DockerArgs): DockerResult {
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
   * naming the node, or a 503 as soon as the node is declared down; a read is slow only on a sick
   * node, so hung ones are found by lists and probes at the short deadline, not here. `onFirst` sees
   * the first reply (e.g. to record an exec id) before the client does, or `undefined` once the call
   * ended without one (deadline, node down, send failed), so what it holds (a name) can be released.
   */
  forward(
    message: Message,
    args: DockerArgs,
    onFirst?: (m: Message | undefined) => void,
    changes = !READS.has(args.op),
  ): void {
    if (!this.reachable) {
      replyError(message.ret, this.downError());
      return;
    }
    const deadline = changes ? this.opDeadline + graceFor(args) : this.#deadline;
    let open = true;
    /** Ends the call without a reply from the child: later replies are dropped. */
    const abandon = (err: SwarmError, report: boolean) => {
      if (!open) return;
      open = false;
      this.#clock.clearTimeout(timer);
      this.#inFlight.delete(cut);
      proxy.cut();
      if (report) this.#health.send({ type: 'fail', error: err.message });
      replyError(message.ret, err);
      onFirst?.(undefined);
    };
    const cut = (err: SwarmError) => abandon(err, false);
    const timer = this.#clock.setTimeout(
      () => abandon(this.#deadlineError(args.op, deadline), true),
      deadline,
    );
    const proxy = replyProxy(message.ret, (first) => {
      if (!open) return;
      open = false;
      this.#clock.clearTimeout(timer);
      this.#inFlight.delete(cut);
      this.#report(first);
      onFirst?.(first);
    });
    this.#inFlight.add(cut);
    const sendFailed = (e: unknown) =>
      abandon(new SwarmError(ErrorCode.ConnectionLost, `node ${this.name}: ${(e as Error).message}`), true);
    try {
      void this.#address.send({ ...message, args, ret: proxy.sender })?.catch(sendFailed);
    } catch (e) {
      sendFailed(e);
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

  #cutInFlight(): void {
    if (this.#inFlight.size === 0) return;
    const err = this.downError();
    const cuts = [...this.#inFlight];
    this.#inFlight.clear();
    for (const cut of cuts) cut(err);
  }

  #probe(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#call(
        'get',
        { op: 'info', query: {} },
        this.#deadline,
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

  /** The one place a request is sent and its outcome reported to the health machine. */
  #call(
    verb: Verb,
    args: DockerArgs,
    deadline: number,
    done: CallDone,
    shared: SharedDeadline | undefined,
    probe: boolean,
  ): void {
    let open = true;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const settle = (reply: Message | undefined, err?: SwarmError, report = true) => {
      if (!open) return;
      open = false;
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      if (!probe) this.#inFlight.delete(cut);
      if (reply) this.#report(reply);
      // Reported before `done`, so a caller sees the health this failure led to.
      else if (report && err) this.#health.send({ type: 'fail', error: err.message });
      // The aggregate reads what it asks for (rows, info, ids): JSON bytes a child passed on are parsed
      // here, once. Forwarded requests never come through here: their answers go on as bytes.
      if (reply?.verb === 'set') {
        const args = withParsedBody(reply.args as DockerResult);
        if (args !== reply.args) reply = { ...reply, args };
      }
      done(reply, err);
    };
    const cut = (err: SwarmError) => settle(undefined, err, false);
    const expire = () => settle(undefined, this.#deadlineError(args.op, deadline));
    if (shared) shared.add(expire);
    else timer = this.#clock.setTimeout(expire, deadline);
    if (!probe) this.#inFlight.add(cut);
    const ret = replyCallback(settle, () =>
      settle(
        undefined,
        new SwarmError(
          ErrorCode.ConnectionLost,
          `node ${this.name}: the child closed its reply channel without answering`,
        ),
      ),
    );
    try {
      void this.#address.send({ verb, args, ret })?.catch(() => ret.close());
    } catch {
      ret.close();
    }
  }

  #report(reply: Message): void {
    if (reply.verb === 'error' && isUnreachable(reply.args as ErrorArgs)) {
      this.#health.send({ type: 'fail', error: (reply.args as ErrorArgs).message });
    } else if (isSettledHealthy(this.#health)) {
      // The event would change nothing but the time: skip the machine (1,000 events per listing).
      this.#lastOk = this.#clock.now();
    } else this.#health.send({ type: 'ok' });
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
