/**
 * One simulated Docker engine: images, containers, events, and every state transition (create,
 * start, exit, stop, kill, pause, rename, remove) with dockerd's errors and events. Costs a few Maps
 * when idle: no timers, no intervals, no actors.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../clock.js';
import { missingExecutable, programFor } from './command.js';
import { appendLog, type ContainerConfig, isRunning, newContainer, type SimContainer } from './container.js';
import { containerEvent, EventBus } from './events.js';
import { generateName, randomId, VALID_NAME } from './ids.js';
import { ImageStore, normalizeRef } from './images.js';
import { encodeEntry, ttyBytes } from './output.js';
import { envMap, SimProcess } from './process.js';
import { badRequest, conflict, EngineError } from './reply.js';
import { parseSignal, type Signal } from './signals.js';
import { StdinQueue } from './stdin.js';
import { ContainerStore } from './store.js';
import { type WallClock, wallClock } from './time.js';

/** How an engine is set up. */
export interface EngineOptions {
  /** Engine name: `info` Name and the node's hostname. */
  name: string;
  clock: Clock;
  /** Wall ms at construction (default `Date.now()`); tests pin it. */
  wallBase?: number;
  /** Engine labels (`info` Labels), `key=value`. */
  labels?: string[];
}

const KILL = parseSignal('KILL') as Signal;
const TERM = parseSignal('TERM') as Signal;

const DEFAULT_HOST_CONFIG: Record<string, unknown> = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: 'json-file', Config: {} },
  NetworkMode: 'default',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  CapAdd: null,
  CapDrop: null,
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  ConsoleSize: [0, 0],
  Isolation: '',
  Memory: 0,
  NanoCpus: 0,
};

function strings(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

/** A simulated engine. */
export class Engine {
  readonly name: string;
  /** The engine's `info` ID. */
  readonly id: string;
  readonly labels: string[];
  readonly wall: WallClock;
  readonly images: ImageStore;
  readonly containers = new ContainerStore();
  readonly events = new EventBus();
  #seq = 0;
  #pid = 1000;
  #ip = 1;

  constructor(options: EngineOptions) {
    this.name = options.name;
    this.labels = options.labels ?? [];
    this.wall = wallClock(options.clock, options.wallBase);
    this.id = randomBytes(18).toString('base64url').toUpperCase().slice(0, 24);
    this.images = new ImageStore(this.wall.now());
  }

  get clock(): Clock {
    return this.wall.clock;
  }

  /** `POST /containers/create`: validates like dockerd, then adds a `created` container. */
  create(query: Record<string, string>, body: unknown): { Id: string; Warnings: string[] } {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('config cannot be empty in order to create a container');
    }
    const b = body as Record<string, unknown>;
    const requested = query.name ?? '';
    if (requested !== '' && !VALID_NAME.test(requested)) {
      throw badRequest(`Invalid container name (${requested}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    const name = requested.replace(/^\//, '') || generateName((n) => this.containers.byName(n) !== undefined);
    const holder = this.containers.byName(name);
    if (holder) throw this.#nameConflict(name, holder);
    const ref = typeof b.Image === 'string' ? b.Image : '';
    if (ref === '') throw badRequest('No image specified');
    const image = this.images.resolve(ref);
    if (!image)
      throw new EngineError(
        404,
        `No such image: ${/^(sha256:)?[0-9a-f]+$/.test(ref) ? ref : normalizeRef(ref)}`,
      );
    const entrypoint = strings(b.Entrypoint);
    const cmd = strings(b.Cmd) ?? (entrypoint ? null : image.cmd);
    const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
    if (argv.length === 0) throw badRequest('No command specified');
    const id = randomId();
    const labels = (b.Labels ?? {}) as Record<string, string>;
    const config: ContainerConfig = {
      Hostname: typeof b.Hostname === 'string' && b.Hostname !== '' ? b.Hostname : id.slice(0, 12),
      Domainname: typeof b.Domainname === 'string' ? b.Domainname : '',
      User: typeof b.User === 'string' ? b.User : '',
      AttachStdin: b.AttachStdin === true,
      AttachStdout: b.AttachStdout === true,
      AttachStderr: b.AttachStderr === true,
      ...(b.ExposedPorts ? { ExposedPorts: b.ExposedPorts as Record<string, object> } : {}),
      Tty: b.Tty === true,
      OpenStdin: b.OpenStdin === true,
      StdinOnce: b.StdinOnce === true,
      Env: [...image.env, ...(strings(b.Env) ?? [])],
      Cmd: cmd,
      Image: ref,
      Volumes: (b.Volumes as Record<string, object> | undefined) ?? null,
      WorkingDir: typeof b.WorkingDir === 'string' ? b.WorkingDir : '',
      Entrypoint: entrypoint,
      OnBuild: null,
      Labels: typeof labels === 'object' && labels !== null ? { ...labels } : {},
      ...(typeof b.StopSignal === 'string' ? { StopSignal: b.StopSignal } : {}),
      ...(typeof b.StopTimeout === 'number' ? { StopTimeout: b.StopTimeout } : {}),
    };
    const hostConfig = { ...DEFAULT_HOST_CONFIG, ...((b.HostConfig as Record<string, unknown>) ?? {}) };
    const [path = '', ...args] = argv;
    const now = this.wall.now();
    const c = newContainer({
      id,
      name,
      created: now,
      seq: this.#seq++,
      config,
      hostConfig,
      image,
      path,
      args,
    });
    this.containers.add(c);
    this.events.emit(containerEvent(c, 'create', now));
    return { Id: id, Warnings: [] };
  }

  #nameConflict(name: string, holder: SimContainer): EngineError {
    return conflict(
      `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
    );
  }

  /** `POST /containers/{id}/start`: 204, or 304 when already running. A missing binary fails (exit 127). */
  start(ref: string): 204 | 304 {
    const c = this.containers.get(ref);
    if (c.status === 'paused') throw conflict('cannot start a paused container, try unpause instead');
    if (isRunning(c)) return 304;
    if (c.status === 'removing' || c.status === 'dead') {
      throw conflict(`container is marked for removal and cannot be started`);
    }
    const now = this.wall.now();
    const missing = missingExecutable([c.path]);
    if (missing) {
      c.error = missing;
      c.exitCode = 127;
      if (c.hostConfig.AutoRemove === true) this.destroy(c);
      throw badRequest(missing);
    }
    c.status = 'running';
    c.pid = this.#pid++;
    c.startedAt = now;
    c.exitCode = 0;
    c.error = '';
    c.ip =
      (c.hostConfig.NetworkMode ?? 'default') === 'none'
        ? ''
        : `172.17.${this.#ip >> 8}.${(this.#ip++ & 255) + 2}`;
    if (!c.config.OpenStdin) c.stdin.end();
    this.events.emit(containerEvent(c, 'start', now));
    const env = [...c.config.Env, `HOSTNAME=${c.config.Hostname}`];
    const io = {
      write: (stream: 1 | 2, data: string | Buffer) => this.#output(c, stream, data),
      stdin: c.stdin,
      hostname: c.config.Hostname,
      env,
      tty: c.config.Tty,
    };
    const proc = new SimProcess(programFor([c.path, ...c.args], envMap(env)), io, this.clock);
    c.process = proc;
    void proc.exited.then((code) => this.#exited(c, proc, code));
    return 204;
  }

  #output(c: SimContainer, stream: 1 | 2, data: string | Buffer): void {
    const raw = typeof data === 'string' ? Buffer.from(data) : data;
    const entry = {
      stream: c.config.Tty ? (1 as const) : stream,
      data: c.config.Tty ? ttyBytes(raw) : raw,
      time: this.wall.now(),
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

  #exited(c: SimContainer, proc: SimProcess, code: number): void {
    if (c.process !== proc) return;
    const now = this.wall.now();
    c.process = undefined;
    c.status = 'exited';
    c.exitCode = code;
    c.finishedAt = now;
    c.pid = 0;
    c.stdin = new StdinQueue();
    this.events.emit(containerEvent(c, 'die', now, { exitCode: String(code) }));
    for (const a of c.attachments) a.out.end();
    c.attachments.clear();
    for (const f of c.followers) f.out.end();
    c.followers.clear();
    for (const w of c.waiters) {
      if (w.condition === 'removed') continue;
      w.out.end(waitBody(code));
      c.waiters.delete(w);
    }
    if (c.stopping) {
      c.stopping = false;
      this.events.emit(containerEvent(c, 'stop', now));
    }
    if (c.hostConfig.AutoRemove === true) this.destroy(c);
  }

  /** Sends a signal (emits `kill`); 409 when not running. */
  kill(ref: string, signalText = 'KILL'): void {
    const c = this.containers.get(ref);
    const sig = parseSignal(signalText);
    if (!sig) throw badRequest(`Invalid signal: ${signalText}`);
    if (!isRunning(c)) throw conflict(`Cannot kill container: ${ref}: Container ${c.id} is not running`);
    this.#signal(c, sig);
  }

  #signal(c: SimContainer, sig: Signal): void {
    this.events.emit(containerEvent(c, 'kill', this.wall.now(), { signal: String(sig.number) }));
    c.process?.signal(sig);
  }

  /** `POST /containers/{id}/stop`: TERM (or Config.StopSignal), KILL after `t` s; resolves once exited. */
  async stop(ref: string, timeoutText?: string): Promise<204 | 304> {
    const c = this.containers.get(ref);
    const proc = c.process;
    if (!proc) return 304;
    const t =
      timeoutText === undefined || timeoutText === '' ? (c.config.StopTimeout ?? 10) : Number(timeoutText);
    if (!Number.isInteger(t)) throw badRequest(`strconv.Atoi: parsing "${timeoutText}": invalid syntax`);
    c.stopping = true;
    this.#signal(c, parseSignal(c.config.StopSignal ?? 'TERM') ?? TERM);
    let timer: TimerHandle | undefined;
    if (t >= 0 && !proc.killed) timer = this.clock.setTimeout(() => this.#signal(c, KILL), t * 1000);
    await proc.exited;
    if (timer) this.clock.clearTimeout(timer);
    return 204;
  }

  /** `POST /containers/{id}/restart`: stop (if running), then start; emits `restart`. */
  async restart(ref: string, timeoutText?: string): Promise<void> {
    const c = this.containers.get(ref);
    await this.stop(c.id, timeoutText);
    this.start(c.id);
    c.restartCount++;
    this.events.emit(containerEvent(c, 'restart', this.wall.now()));
  }

  /** `POST /containers/{id}/pause` / `unpause`. */
  pause(ref: string, pause: boolean): void {
    const c = this.containers.get(ref);
    if (!isRunning(c)) throw conflict(`Container ${c.id} is not running`);
    if (pause && c.status === 'paused') throw conflict(`Container ${c.id} is already paused`);
    if (!pause && c.status !== 'paused') throw conflict(`Container ${c.id} is not paused`);
    c.status = pause ? 'paused' : 'running';
    if (pause) c.process?.pause();
    else c.process?.resume();
    this.events.emit(containerEvent(c, pause ? 'pause' : 'unpause', this.wall.now()));
  }

  /** `POST /containers/{id}/rename?name=`. */
  rename(ref: string, newName: string | undefined): void {
    const c = this.containers.get(ref);
    const name = (newName ?? '').replace(/^\//, '');
    if (name === '') throw badRequest('Neither old nor new names may be empty');
    if (!VALID_NAME.test(name)) {
      throw badRequest(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (name === c.name) throw badRequest('Renaming a container with the same name as its current name');
    const holder = this.containers.byName(name);
    if (holder) throw this.#nameConflict(name, holder);
    const old = c.name;
    this.containers.rename(c, name);
    this.events.emit(containerEvent(c, 'rename', this.wall.now(), { oldName: `/${old}` }));
  }

  /** `DELETE /containers/{id}`: 409 when running or paused unless `force` (then KILL first). */
  async remove(ref: string, force: boolean): Promise<void> {
    const c = this.containers.get(ref);
    if (c.status === 'paused' && !force) {
      throw conflict(
        `You cannot remove a paused container ${c.id}. Unpause and then stop the container before attempting removal or force remove`,
      );
    }
    if (isRunning(c) && !force) {
      throw conflict(
        `You cannot remove a running container ${c.id}. Stop the container before attempting removal or force remove`,
      );
    }
    const proc = c.process;
    if (proc) {
      this.#signal(c, KILL);
      await proc.exited;
    }
    if (this.containers.find(c.id) === c) this.destroy(c);
  }

  /** Forgets a container: emits `destroy`, answers every waiter, ends every stream on it. */
  destroy(c: SimContainer): void {
    this.containers.delete(c);
    c.status = 'removing';
    c.stdin.cancel();
    this.events.emit(containerEvent(c, 'destroy', this.wall.now()));
    for (const w of c.waiters) w.out.end(waitBody(c.exitCode));
    c.waiters.clear();
    for (const a of c.attachments) a.out.end();
    c.attachments.clear();
    for (const f of c.followers) f.out.end();
    c.followers.clear();
  }

  /** How many containers exist, by state (for `info`). */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const c of this.containers.newestFirst()) {
      if (c.status === 'running') running++;
      else if (c.status === 'paused') paused++;
    }
    const total = this.containers.size;
    return { total, running, paused, stopped: total - running - paused };
  }
}

/** The body line of a finished `wait`. */
export function waitBody(code: number): string {
  return `${JSON.stringify({ Error: null, StatusCode: code })}\n`;
}
