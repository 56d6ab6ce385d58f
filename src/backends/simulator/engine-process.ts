/**
 * A container's running program as the engine sees it: the simulated process it starts, where that
 * process's output goes (the log, attach and `logs -f` streams), and the bookkeeping when it exits
 * (`die`, then `stop` after a stop request, waiters answered, auto-remove).
 * @module
 */
import { programFor } from './command.js';
import { appendLog, type SimContainer } from './container.js';
import type { Engine } from './engine.js';
import { containerEvent } from './events.js';
import { ContainerFs } from './fs.js';
import { endpointsDown } from './networks.js';
import { encodeEntry, ttyBytes } from './output.js';
import { envMap, SimProcess } from './process.js';
import { parseSignal, type Signal } from './signals.js';
import { StdinQueue } from './stdin.js';

const KILL = parseSignal('KILL') as Signal;

/** The body line of a finished `wait`. */
export function waitBody(code: number): string {
  return `${JSON.stringify({ Error: null, StatusCode: code })}\n`;
}

/** Ends every attach and `logs -f` stream on `c` (its process is gone, or the container is). */
export function endStreams(c: SimContainer): void {
  for (const a of c.attachments) a.out.end();
  c.attachments.clear();
  for (const f of c.followers) f.out.end();
  c.followers.clear();
}

/** The filesystem `c`'s processes see: its mounts over its layer over its image. */
export function containerFs(c: SimContainer): ContainerFs {
  return new ContainerFs(
    c.image.tree,
    c.layer,
    c.mounts.map((m) => ({ destination: m.destination, tree: m.tree, rw: m.rw })),
  );
}

/** Starts `c`'s program (its state already says running) and books its exit when it ends. */
export function spawnProcess(engine: Engine, c: SimContainer): void {
  const env = [...c.config.Env, `HOSTNAME=${c.config.Hostname}`];
  const io = {
    write: (stream: 1 | 2, data: string | Buffer) => output(engine, c, stream, data),
    stdin: c.stdin,
    hostname: c.config.Hostname,
    env,
    tty: c.config.Tty,
    fs: containerFs(c),
  };
  const proc = new SimProcess(programFor([c.path, ...c.args], envMap(env)), io, engine.clock);
  c.process = proc;
  void proc.exited.then((code) => exited(engine, c, proc, code));
}

/** Process output: into the log, then to every attached or following stream that wants it. */
function output(engine: Engine, c: SimContainer, stream: 1 | 2, data: string | Buffer): void {
  const raw = typeof data === 'string' ? Buffer.from(data) : data;
  const entry = {
    stream: c.config.Tty ? (1 as const) : stream,
    data: c.config.Tty ? ttyBytes(raw) : raw,
    time: engine.wall.now(),
  };
  appendLog(c, entry);
  for (const w of c.attachments) {
    const bytes = encodeEntry(entry, w, c.config.Tty);
    if (bytes) w.out.write(bytes);
  }
  for (const w of c.followers) {
    const bytes = encodeEntry(entry, w, c.config.Tty);
    if (bytes) w.out.write(bytes);
  }
}

/** `proc` ended with `code`; ignored when the container has moved on to another run. */
function exited(engine: Engine, c: SimContainer, proc: SimProcess, code: number): void {
  if (c.process !== proc) return;
  const now = engine.wall.now();
  c.process = undefined;
  c.status = 'exited';
  c.exitCode = code;
  c.finishedAt = now;
  c.pid = 0;
  c.stdin = new StdinQueue();
  // Exec processes die with the container's init process, as in a real pid namespace.
  for (const p of c.execs.values()) p.signal(KILL);
  c.execs.clear();
  endpointsDown(c);
  c.ip = '';
  c.netGen++;
  engine.events.emit(containerEvent(c, 'die', now, { exitCode: String(code) }));
  endStreams(c);
  for (const w of c.waiters) {
    if (w.condition === 'removed') continue;
    w.out.end(waitBody(code));
    c.waiters.delete(w);
  }
  if (c.stopping) {
    c.stopping = false;
    engine.events.emit(containerEvent(c, 'stop', now));
  }
  if (c.hostConfig.AutoRemove === true) engine.destroy(c);
}
