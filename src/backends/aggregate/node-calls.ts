/**
 * The call path of one aggregate node, the base class of {@link AggregateNode}. Every call to the
 * child goes through {@link NodeCalls.call}, {@link NodeCalls.ask} or {@link NodeCalls.forward}, which
 * put a deadline on it and report its outcome for the node's health; a node that is not reachable
 * fails calls at once, naming itself, instead of letting them hang, and the calls still in flight when
 * it is declared down are cut then ({@link NodeCalls.cutInFlight}), not at their own (up to 30 s)
 * deadline. What "reachable" means and what an outcome does to it belong to the health side, in `node.ts`.
 * @module
 */
import type { ErrorArgs, Message, Verb } from '../../actors/message.js';
import { OneShotReply, ReplyProxy, replyError } from '../../actors/reply.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import { type DockerArgs, type DockerResult, withParsedBody } from '../docker/api.js';
import { statusOf } from '../docker/http-errors.js';
import { graceFor, READS, remoteError, type SharedDeadline } from './calls.js';

/** What the call path needs to reach one child. */
export interface NodeCallOptions {
  name: string;
  address: Sender<Message>;
  clock: Clock;
  /** Deadline for reads and probes, ms. */
  deadline: number;
  /** Deadline for forwarded and container-changing calls, ms (default: `deadline`). */
  opDeadline?: number;
}

/** How a call ends: with the child's first reply, or with an error (deadline, closed channel, node down). */
export type CallDone = (reply: Message | undefined, error?: SwarmError) => void;

/** Calls to one child, each under a deadline, its outcome reported to the subclass's health. */
export abstract class NodeCalls {
  readonly name: string;
  /** Deadline of container-changing calls; public so create can use it with {@link result}. */
  readonly opDeadline: number;
  protected readonly address: Sender<Message>;
  protected readonly clock: Clock;
  /** Deadline for reads and probes, ms. */
  protected readonly deadline: number;
  /**
   * How to end each call in flight when the node is declared down. Probes are not in it: the `down`
   * state's own probe is what brings the node back.
   */
  readonly #inFlight = new Set<(err: SwarmError) => void>();

  constructor(opts: NodeCallOptions) {
    this.name = opts.name;
    this.address = opts.address;
    this.clock = opts.clock;
    this.deadline = opts.deadline;
    this.opDeadline = opts.opDeadline ?? opts.deadline;
  }

  /** False while down or backing off: calls fail fast with {@link downError}. */
  abstract get reachable(): boolean;

  /** The error for calls to a node that is down. */
  abstract downError(): SwarmError;

  /** Takes note of a first reply from the child (an `error` saying it is unreachable is a failure). */
  protected abstract report(reply: Message): void;

  /** Takes note of a call that ended without a reply (deadline, send failed, channel closed). */
  protected abstract reportFailure(error: string): void;

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
    deadline = this.deadline,
    shared?: SharedDeadline,
  ): void {
    if (!this.reachable) done(undefined, this.downError());
    else this.send(verb, args, deadline, done, shared, false);
  }

  /** {@link call} as a promise. */
  ask(verb: Verb, args: DockerArgs, deadline = this.deadline): Promise<Message> {
    return new Promise((resolve, reject) => {
      this.call(verb, args, (reply, err) => (reply ? resolve(reply) : reject(err)), deadline);
    });
  }

  /** Like {@link ask} but resolves with the `set` result, turning an `error` reply into a SwarmError. */
  async result(verb: Verb, args: DockerArgs, deadline?: number): Promise<DockerResult> {
    return this.toResult(await this.ask(verb, args, deadline ?? this.deadline), args);
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
      const err = this.downError();
      replyError(message, err, { status: statusOf(err) });
      return;
    }
    const deadline = changes ? this.opDeadline + graceFor(args) : this.deadline;
    let open = true;
    /** Ends the call without a reply from the child: later replies are dropped. */
    const abandon = (err: SwarmError, report: boolean) => {
      if (!open) return;
      open = false;
      this.clock.clearTimeout(timer);
      this.#inFlight.delete(cut);
      proxy.cut();
      if (report) this.reportFailure(err.message);
      replyError(message, err, { status: statusOf(err) });
      onFirst?.(undefined);
    };
    const cut = (err: SwarmError) => abandon(err, false);
    const timer = this.clock.setTimeout(
      () => abandon(this.#deadlineError(args.op, deadline), true),
      deadline,
    );
    const proxy = new ReplyProxy(message.ret, {
      onReply: (reply, first) => {
        if (!first || !open) return;
        open = false;
        this.clock.clearTimeout(timer);
        this.#inFlight.delete(cut);
        this.report(reply);
        onFirst?.(reply);
      },
    });
    this.#inFlight.add(cut);
    const sendFailed = (e: unknown) =>
      abandon(new SwarmError(ErrorCode.ConnectionLost, `node ${this.name}: ${(e as Error).message}`), true);
    try {
      void this.address.send({ ...message, args, ret: proxy })?.catch(sendFailed);
    } catch (e) {
      sendFailed(e);
    }
  }

  /** The node was declared down: every call in flight fails now with {@link downError}. */
  protected cutInFlight(): void {
    if (this.#inFlight.size === 0) return;
    const err = this.downError();
    const cuts = [...this.#inFlight];
    this.#inFlight.clear();
    for (const cut of cuts) cut(err);
  }

  /**
   * The one place a request is sent and its outcome reported. A `probe` is not in flight (a down
   * verdict does not cut it) and does not check {@link reachable}.
   */
  protected send(
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
      if (!open) {
        // A reply after the deadline (or a down verdict) reaches no one. Chaos test (CHAOS_SEED=1667494739):
        // `docker events` asked a STOPped daemon, the ask expired at 1 s, and after CONT the child's late
        // answer brought an events stream that was dropped here still open: a leaked socket and dockerd
        // subscription, whose 'error' (no listener) when that daemon was then KILLed took swarmd down.
        if (reply?.stream) discardStream(reply.stream);
        return;
      }
      open = false;
      if (timer !== undefined) this.clock.clearTimeout(timer);
      if (!probe) this.#inFlight.delete(cut);
      if (reply) this.report(reply);
      // Reported before `done`, so a caller sees the health this failure led to.
      else if (report && err) this.reportFailure(err.message);
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
    else timer = this.clock.setTimeout(expire, deadline);
    if (!probe) this.#inFlight.add(cut);
    const ret = new OneShotReply<Message>(settle, () =>
      settle(
        undefined,
        new SwarmError(
          ErrorCode.ConnectionLost,
          `node ${this.name}: the child closed its reply channel without answering`,
        ),
      ),
    );
    try {
      void this.address.send({ verb, args, ret })?.catch(() => ret.close());
    } catch {
      ret.close();
    }
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

/** Closes a stream no one will read; its late 'error' (the daemon dying first) must not go unhandled. */
function discardStream(stream: NonNullable<Message['stream']>): void {
  stream.on('error', () => {});
  stream.destroy();
}
