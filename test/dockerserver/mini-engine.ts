/**
 * A test-only, in-memory container engine behind dockerserver, just enough for the CLI's hijack
 * flows (run, run -i, exec): create, attach, wait, start, inspect, exec create/start/inspect. The
 * "processes" are tiny: `cat` copies stdin, `echo` prints its args, `fail N` prints to stderr and
 * exits N. It reads stdin only after start, so it proves the front door buffers early stdin.
 */
import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough } from 'node:stream';
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs } from '../../src/backends/docker/api.js';
import { type OpHandler, type Responder, reply, responder } from './helpers.js';

/** One multiplexed frame (docker-cli-wire.md §3.3). */
export function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const data = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

interface Proc {
  cmd: string[];
  stdin?: Duplex | undefined;
  outputs: PassThrough[];
  waiters: PassThrough[];
  exitCode?: number;
}

/** Runs a fake process: writes frames to every output, then reports the exit code. */
async function run(p: Proc): Promise<number> {
  const write = (s: 1 | 2, d: Buffer | string) => {
    for (const o of p.outputs) o.write(frame(s, d));
  };
  const [name, ...args] = p.cmd;
  if (name === 'cat' && p.stdin) {
    for await (const chunk of p.stdin) write(1, chunk as Buffer);
    return 0;
  }
  if (name === 'echo') {
    write(1, `${args.join(' ')}\n`);
    return 0;
  }
  if (name === 'fail') {
    write(2, 'failing\n');
    return Number(args[0] ?? 1);
  }
  write(2, `mini-engine: ${name}: not found\n`);
  return 127;
}

async function finish(p: Proc): Promise<void> {
  p.exitCode = await run(p);
  for (const o of p.outputs) o.end();
  for (const w of p.waiters) w.end(`${JSON.stringify({ Error: null, StatusCode: p.exitCode })}\n`);
}

/** A responder that behaves like a (very small) container engine. */
export function miniEngine(): Responder {
  const containers = new Map<string, Proc>();
  const execs = new Map<string, Proc>();
  const find = (m: Message<DockerArgs>) => containers.get(m.args.id ?? '');
  const stream = (m: Message<DockerArgs>, s: PassThrough, mode: 'raw-stream' | 'chunked') =>
    reply(m, 'ack', { status: 200, mode, headers: {} }, s);
  const handlers: Record<string, OpHandler> = {
    'container.create': (m) => {
      const id = randomBytes(32).toString('hex');
      const body = m.args.body as { Cmd: string[] };
      containers.set(id, { cmd: body.Cmd, outputs: [], waiters: [] });
      reply(m, 'set', { status: 201, body: { Id: id, Warnings: [] } });
    },
    'container.inspect': (m) => {
      const p = find(m);
      if (!p) return reply(m, 'error', { message: `No such container: ${m.args.id}`, status: 404 });
      reply(m, 'set', {
        status: 200,
        body: {
          Id: m.args.id,
          Name: '/c',
          State: { Running: p.exitCode === undefined },
          Config: { Tty: false },
        },
      });
    },
    'container.attach': (m) => {
      const p = find(m);
      if (!p) return reply(m, 'error', { message: `No such container: ${m.args.id}`, status: 404 });
      if (m.args.query.stdin === '1') p.stdin = m.stream;
      const out = new PassThrough();
      p.outputs.push(out);
      stream(m, out, 'raw-stream');
    },
    'container.wait': (m) => {
      const p = find(m);
      if (!p) return reply(m, 'error', { message: `No such container: ${m.args.id}`, status: 404 });
      const w = new PassThrough();
      p.waiters.push(w);
      stream(m, w, 'chunked');
    },
    'container.start': (m) => {
      const p = find(m);
      if (!p) return reply(m, 'error', { message: `No such container: ${m.args.id}`, status: 404 });
      reply(m, 'set', { status: 204 });
      void finish(p);
    },
    'container.exec': (m) => {
      const id = randomBytes(32).toString('hex');
      execs.set(id, { cmd: (m.args.body as { Cmd: string[] }).Cmd, outputs: [], waiters: [] });
      reply(m, 'set', { status: 201, body: { Id: id } });
    },
    'exec.start': (m) => {
      const p = execs.get(m.args.id ?? '');
      if (!p) return reply(m, 'error', { message: `No such exec instance: ${m.args.id}`, status: 404 });
      const body = m.args.body as { Detach?: boolean } | undefined;
      if (body?.Detach !== false)
        return reply(m, 'error', { message: 'expected {"Detach":false}', status: 400 });
      p.stdin = m.stream;
      const out = new PassThrough();
      p.outputs.push(out);
      stream(m, out, 'raw-stream');
      void finish(p);
    },
    'exec.inspect': (m) => {
      const p = execs.get(m.args.id ?? '');
      if (!p) return reply(m, 'error', { message: `No such exec instance: ${m.args.id}`, status: 404 });
      reply(m, 'set', {
        status: 200,
        body: { ID: m.args.id, Running: p.exitCode === undefined, ExitCode: p.exitCode ?? 0 },
      });
    },
  };
  return responder(handlers);
}
