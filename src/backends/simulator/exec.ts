/**
 * `docker exec`: exec instances (create, start attached or detached, inspect, resize) as dockerd
 * 20.10 answers them. An exec runs the command model in its container's filesystem and environment;
 * its output goes only to its own stream (never to the container's log), framed unless it has a tty,
 * and its exit code is set before that stream ends, so the CLI's inspect right after sees it.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough } from 'node:stream';
import { missingExecutable, programFor } from './command.js';
import { isRunning, type SimContainer } from './container.js';
import type { Engine } from './engine.js';
import { badRequest, conflict, EngineError } from './engine-errors.js';
import { containerFs } from './engine-process.js';
import { containerEvent } from './events.js';
import { frame, ttyBytes } from './output.js';
import { envMap, SimProcess } from './process.js';
import { StdinQueue } from './stdin.js';

/** One exec instance. */
export interface SimExec {
  readonly id: string;
  readonly container: SimContainer;
  readonly argv: string[];
  readonly tty: boolean;
  readonly privileged: boolean;
  readonly user: string;
  readonly env: string[];
  readonly openStdin: boolean;
  readonly openStdout: boolean;
  readonly openStderr: boolean;
  readonly detachKeys: string;
  started: boolean;
  running: boolean;
  exitCode: number | null;
  pid: number;
}

function strings(v: unknown): string[] {
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : typeof v === 'string'
      ? [v]
      : [];
}

/** The exec instances of one engine. */
export class ExecStore {
  readonly #byId = new Map<string, SimExec>();

  /** The exec `id`, or dockerd's 404 `No such exec instance: <id>`. */
  get(id: string): SimExec {
    const e = this.#byId.get(id);
    if (!e) throw new EngineError(404, `No such exec instance: ${id}`);
    return e;
  }

  /** Adds an instance. */
  add(e: SimExec): void {
    this.#byId.set(e.id, e);
  }

  /** Forgets every instance of a removed container. */
  forget(c: SimContainer): void {
    for (const [id, e] of this.#byId) if (e.container === c) this.#byId.delete(id);
  }
}

/** `POST /containers/{id}/exec`: 201 `{Id}`. */
export function execCreate(engine: Engine, ref: string, body: unknown): { Id: string } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const argv = strings(b.Cmd);
  if (argv.length === 0) throw badRequest('No exec command specified');
  const c = engine.containers.get(ref);
  if (!isRunning(c)) throw conflict(`Container ${c.id} is not running`);
  if (c.status === 'paused') throw conflict(`Container ${ref} is paused, unpause the container before exec`);
  const e: SimExec = {
    id: randomBytes(32).toString('hex'),
    container: c,
    argv,
    tty: b.Tty === true,
    privileged: b.Privileged === true,
    user: typeof b.User === 'string' ? b.User : '',
    env: strings(b.Env),
    openStdin: b.AttachStdin === true,
    openStdout: b.AttachStdout === true,
    openStderr: b.AttachStderr === true,
    detachKeys: typeof b.DetachKeys === 'string' ? b.DetachKeys : '',
    started: false,
    running: false,
    exitCode: null,
    pid: 0,
  };
  engine.execs.add(e);
  engine.events.emit(
    containerEvent(c, `exec_create: ${argv.join(' ')}`, engine.wall.now(), { execID: e.id }),
  );
  return { Id: e.id };
}

/**
 * `POST /exec/{id}/start`: runs the exec. Attached, returns its output stream (ends at exit); detached
 * (`Detach: true`), returns undefined and the exec runs on. `stdin` is the hijacked client input.
 */
export function execStart(
  engine: Engine,
  id: string,
  body: unknown,
  stdin?: Duplex,
): PassThrough | undefined {
  const e = engine.execs.get(id);
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const detach = b.Detach === true;
  if (e.running) throw conflict(`Error: Exec command ${e.id} is already running`);
  if (e.started) throw conflict(`Error: Exec command ${e.id} has already run`);
  const c = e.container;
  if (!isRunning(c)) throw conflict(`Container ${c.id} is not running`);
  if (c.status === 'paused') throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
  e.started = true;
  const now = engine.wall.now();
  engine.events.emit(containerEvent(c, `exec_start: ${e.argv.join(' ')}`, now, { execID: e.id }));
  const out = detach ? undefined : new PassThrough();
  const write = (stream: 1 | 2, data: string | Buffer) => {
    if (!out || (stream === 1 ? !e.openStdout : !e.openStderr)) return;
    const raw = typeof data === 'string' ? Buffer.from(data) : data;
    out.write(e.tty ? ttyBytes(raw) : frame(stream, raw));
  };
  const missing = missingExecutable(e.argv);
  if (missing) {
    // dockerd has already answered 101 when runc fails: the error goes down the output stream.
    const text = missing.replace(
      'OCI runtime create failed: container_linux.go:380: starting container process caused',
      'OCI runtime exec failed: exec failed: unable to start container process',
    );
    finish(engine, e, 126);
    if (detach) throw new EngineError(500, text);
    write(1, `${text}\r\n`);
    stdin?.destroy();
    out?.end();
    return out;
  }
  const queue = new StdinQueue();
  if (stdin && e.openStdin && !detach) {
    stdin.on('data', (chunk: Buffer) => queue.push(chunk));
    stdin.once('end', () => queue.end());
    stdin.once('error', () => queue.end());
  } else {
    queue.end();
    stdin?.resume();
  }
  const env = [...c.config.Env, `HOSTNAME=${c.config.Hostname}`, ...e.env];
  const io = { write, stdin: queue, hostname: c.config.Hostname, env, tty: e.tty, fs: containerFs(c) };
  const proc = new SimProcess(programFor(e.argv, envMap(env)), io, engine.clock);
  e.running = true;
  e.pid = engine.nextPid();
  c.execs.set(e.id, proc);
  void proc.exited.then((code) => {
    c.execs.delete(e.id);
    finish(engine, e, code);
    if (stdin && !stdin.destroyed) stdin.destroy();
    out?.end();
  });
  return out;
}

function finish(engine: Engine, e: SimExec, code: number): void {
  e.running = false;
  e.exitCode = code;
  engine.events.emit(
    containerEvent(e.container, 'exec_die', engine.wall.now(), { execID: e.id, exitCode: String(code) }),
  );
}

/** `GET /exec/{id}/json`. */
export function execInspect(e: SimExec): Record<string, unknown> {
  const processConfig: Record<string, unknown> = {
    tty: e.tty,
    entrypoint: e.argv[0],
    arguments: e.argv.slice(1),
    privileged: e.privileged,
  };
  if (e.user !== '') processConfig.user = e.user;
  return {
    ID: e.id,
    Running: e.running,
    ExitCode: e.exitCode,
    ProcessConfig: processConfig,
    OpenStdin: e.openStdin,
    OpenStderr: e.openStderr,
    OpenStdout: e.openStdout,
    CanRemove: false,
    ContainerID: e.container.id,
    DetachKeys: e.detachKeys,
    Pid: e.pid,
  };
}

/** `POST /exec/{id}/resize?h=&w=`: 200 while it runs; dockerd's 404 once it is gone. */
export function execResize(engine: Engine, id: string, query: Record<string, string>): void {
  const e = engine.execs.get(id);
  for (const k of ['h', 'w']) {
    const v = query[k] ?? '';
    if (!/^\d+$/.test(v)) throw badRequest(`strconv.Atoi: parsing "${v}": invalid syntax`);
  }
  if (!e.running) throw new EngineError(404, 'no such exec');
}
