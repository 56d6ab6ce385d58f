/**
 * Test helpers: a reply collector (a minimal Sender per src/libchan/types.ts) and a driver that sends
 * Docker requests to a simulator instance on a SimulatedClock.
 */
import type { Duplex } from 'node:stream';
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs, DockerOp } from '../../src/backends/docker/api.js';
import { createSimulator, parseSimulatorArgs, type SimulatorInstance } from '../../src/backends/simulator.js';
import { SimulatedClock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

/** What a request got back. */
export interface Reply {
  verb: string;
  args: {
    status?: number;
    body?: unknown;
    message?: string;
    mode?: string;
    headers?: Record<string, string>;
  };
  stream?: Duplex;
  closed: boolean;
}

/** A Sender that keeps the first reply and notes the close. */
export function collector(): { sender: Sender<Message>; reply: Promise<Reply>; state: { closed: boolean } } {
  const state = { closed: false };
  let resolve!: (r: Reply) => void;
  const reply = new Promise<Reply>((r) => {
    resolve = r;
  });
  const sender: Sender<Message> = {
    [kSender]: true,
    get closed() {
      return state.closed;
    },
    send(m) {
      const r: Reply = { verb: m.verb, args: m.args as Reply['args'], closed: false };
      if (m.stream) r.stream = m.stream;
      resolve(r);
      return undefined;
    },
    close() {
      state.closed = true;
    },
  };
  return { sender, reply, state };
}

/** Splits multiplexed frames into [stream, text] pairs. */
export function deframe(buf: Buffer): [number, string][] {
  const out: [number, string][] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out.push([buf[i] as number, buf.subarray(i + 8, i + 8 + len).toString()]);
    i += 8 + len;
  }
  return out;
}

/** A simulator on a simulated clock plus a `call` helper. */
export function harness(args: string[] = ['node1']) {
  const clock = new SimulatedClock(0);
  const sim: SimulatorInstance = createSimulator(parseSimulatorArgs(args), { clock }, Date.UTC(2026, 0, 1));
  async function call(
    op: DockerOp,
    opts: { id?: string; query?: Record<string, string>; body?: unknown; stream?: Duplex } = {},
  ): Promise<Reply> {
    const c = collector();
    const args: DockerArgs = { op, query: opts.query ?? {} };
    if (opts.id !== undefined) args.id = opts.id;
    if (opts.body !== undefined) args.body = opts.body;
    const m: Message<DockerArgs> = { verb: 'get', args, ret: c.sender };
    if (opts.stream) m.stream = opts.stream;
    await sim.handle(m);
    const r = await c.reply;
    r.closed = c.state.closed;
    return r;
  }
  /** Creates a container from `Cmd` and returns its id. */
  async function create(cmd: string[], extra: Record<string, unknown> = {}, name?: string): Promise<string> {
    const r = await call('container.create', {
      query: name ? { name } : {},
      body: { Image: 'busybox:local', Cmd: cmd, ...extra },
    });
    if (r.verb !== 'set') throw new Error(`create failed: ${r.args.message}`);
    return (r.args.body as { Id: string }).Id;
  }
  /** Lets promise chains settle (process exits run in microtasks). */
  const settle = () => new Promise<void>((r) => setImmediate(r));
  return { clock, sim, engine: sim.engine, call, create, settle };
}
