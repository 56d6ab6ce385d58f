/**
 * Aggregate children for stage tests and the benchmark: real `simulator` stage instances (the same
 * in-memory Docker engine `swarmd … 'simulator node1'` runs), each behind a small address.
 *
 * The one thing a simulator cannot do is stop answering, so the address has a `hung` switch that
 * swallows requests without replying, like a SIGSTOPped daemon whose socket still accepts writes, and a
 * `hangOps` set that swallows only some ops (a daemon stuck on one slow call that still answers probes).
 * The simulator also has no exec (`docker exec`), so the address answers `container.exec` and
 * `exec.inspect` itself, checking the container against the engine, just enough to test exec-id
 * routing. Those two (and `stallOps`, a stream that never ends) are the only fakes left; everything else
 * the child answers comes from the simulator.
 */
import { PassThrough } from 'node:stream';
import type { Message } from '../../src/actors/message.js';
import { lexStage } from '../../src/backends/lexer.js';
import { createSimulator, parseSimulatorArgs, type SimulatorInstance } from '../../src/backends/simulator.js';
import type { Clock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

let execSeq = 0;

/** Answers the two exec ops the simulator lacks; false for every other op. */
function fakeExec(instance: SimulatorInstance, execs: Set<string>, m: Message): boolean {
  const args = m.args as { op?: string; id?: string };
  let reply: Message;
  if (args.op === 'container.exec') {
    if (instance.engine.containers.find(args.id ?? '')) {
      const id = `${instance.engine.name}exec${execSeq++}`;
      execs.add(id);
      reply = { verb: 'set', args: { status: 201, body: { Id: id } } };
    } else reply = { verb: 'error', args: { message: `No such container: ${args.id}`, status: 404 } };
  } else if (args.op === 'exec.inspect') {
    reply = execs.has(args.id ?? '')
      ? { verb: 'set', args: { status: 200, body: { ID: args.id, Node: instance.engine.name } } }
      : { verb: 'error', args: { message: `No such exec instance: ${args.id}`, status: 404 } };
  } else return false;
  queueMicrotask(() => {
    void m.ret?.send(reply);
    m.ret?.close();
  });
  return true;
}

/** Answers `m` with a stream that starts and then stalls for ever (see {@link SimChild.stallOps}). */
function stall(m: Message): void {
  const stream = new PassThrough();
  stream.write(`${JSON.stringify({ status: 'Pulling fs layer', id: 'stalled' })}\n`);
  queueMicrotask(() => {
    void m.ret?.send({ verb: 'ack', args: { status: 200, mode: 'chunked' }, stream });
    m.ret?.close();
  });
}

/** One simulator child plus its switches. */
export interface SimChild {
  readonly instance: SimulatorInstance;
  readonly address: Sender<Message>;
  /** While true the child receives requests and never answers. */
  hung: boolean;
  /** Ops the child receives and never answers while answering everything else (a daemon stuck on one call). */
  readonly hangOps: Set<string>;
  /**
   * Ops the child answers with an `ack` whose stream sends one progress line and then nothing, never
   * ending (a daemon that hangs in the middle of a pull); with `hung`, the node's probes fail too.
   */
  readonly stallOps: Set<string>;
  /** Ops the child answers only after this many ms of the clock (a daemon busy deleting). */
  readonly delayOps: Map<string, number>;
  /** Every request's args, in arrival order (including swallowed ones). */
  readonly calls: Message['args'][];
}

/** Builds simulator children on demand from `simulator <name> …` commands. */
export class SimChildren {
  readonly byName = new Map<string, SimChild>();

  constructor(readonly clock: Clock) {}

  /** Suitable as a stage context's `spawnStage`: `command` is a full `simulator …` stage command. */
  readonly spawn = async (command: string): Promise<Sender<Message>> => {
    const { name, args } = lexStage(command);
    if (name !== 'simulator') throw new Error(`sim-children: only simulator children, got ${command}`);
    return this.make(args).address;
  };

  /** Makes one child from simulator arguments (`node1 --seed 2`). */
  make(args: string[]): SimChild {
    const parsed = parseSimulatorArgs(args);
    const instance = createSimulator(parsed, { clock: this.clock });
    const execs = new Set<string>();
    const child: SimChild = {
      instance,
      hung: false,
      hangOps: new Set(),
      stallOps: new Set(),
      delayOps: new Map(),
      calls: [],
      address: {
        [kSender]: true,
        send: (m: Message) => {
          child.calls.push(m.args);
          const op = (m.args as { op?: string }).op ?? '';
          const delay = child.delayOps.get(op);
          if (delay !== undefined && !child.hung) this.clock.setTimeout(() => void instance.handle(m), delay);
          else if (child.stallOps.has(op) && !child.hung) stall(m);
          else if (!child.hung && !child.hangOps.has(op) && !fakeExec(instance, execs, m))
            void instance.handle(m);
          return undefined;
        },
        close: () => {},
        closed: false,
      } as Sender<Message>,
    };
    this.byName.set(parsed.name, child);
    return child;
  }

  /** The child whose engine is called `name`. */
  get(name: string): SimChild {
    const c = this.byName.get(name);
    if (!c) throw new Error(`no child ${name}`);
    return c;
  }
}
