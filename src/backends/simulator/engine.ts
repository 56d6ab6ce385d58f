/**
 * One simulated Docker engine: images, containers, events, and every state transition (create,
 * start, exit, stop, kill, pause, rename, remove) with dockerd's errors and events. Costs a few Maps
 * when idle: no timers, no intervals, no actors. Create's validation and defaults are in
 * `engine-create.ts`; the running program's output and exit bookkeeping in `engine-process.ts`.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../clock.js';
import { missingExecutable } from './command.js';
import { isRunning, newContainer, type SimContainer } from './container.js';
import { invalidName, nameConflict, parseCreate } from './engine-create.js';
import { badRequest, conflict } from './engine-errors.js';
import { endStreams, spawnProcess, waitBody } from './engine-process.js';
import { containerEvent, EventBus, objectEvent } from './events.js';
import { ExecStore } from './exec.js';
import { VALID_NAME } from './ids.js';
import { ImageStore } from './images.js';
import { createEndpoints, endpointsUp, NetworkStore } from './networks.js';
import { parseSignal, type Signal } from './signals.js';
import { ContainerStore } from './store.js';
import { type WallClock, wallClock } from './time.js';
import { attachMounts, mountSpecs, usersOf, VolumeStore } from './volumes.js';

export { waitBody } from './engine-process.js';

/** How an engine is set up. */
export interface EngineOptions {
  /** Engine name: `info` Name and the node's hostname. */
  name: string;
  clock: Clock;
  /** Wall ms at construction (default `Date.now()`); tests pin it. */
  wallBase?: number;
  /** Engine labels (`info` Labels), `key=value`. */
  labels?: string[];
  /** Where the engine reports what it had to leave out of an answer (a list row it could not format). */
  log?: EngineLog;
}

/** The one logging call the engine makes (a pino Logger fits). */
export interface EngineLog {
  warn(details: object, message: string): void;
}

const KILL = parseSignal('KILL') as Signal;
const TERM = parseSignal('TERM') as Signal;

/** A simulated engine. */
export class Engine {
  readonly name: string;
  /** The engine's `info` ID. */
  readonly id: string;
  readonly labels: string[];
  readonly log: EngineLog | undefined;
  readonly wall: WallClock;
  readonly images: ImageStore;
  readonly containers = new ContainerStore();
  readonly events = new EventBus();
  readonly networks: NetworkStore;
  readonly volumes = new VolumeStore();
  readonly execs = new ExecStore();
  #seq = 0;
  #pid = 1000;

  constructor(options: EngineOptions) {
    this.name = options.name;
    this.labels = options.labels ?? [];
    this.log = options.log;
    this.wall = wallClock(options.clock, options.wallBase);
    this.id = randomBytes(18).toString('base64url').toUpperCase().slice(0, 24);
    this.images = new ImageStore(this.wall.now());
    this.networks = new NetworkStore(this.wall.now());
  }

  /** A fresh pid for a process (container or exec). */
  nextPid(): number {
    return this.#pid++;
  }

  get clock(): Clock {
    return this.wall.clock;
  }

  /** `POST /containers/create`: validates like dockerd (engine-create.ts), then adds a `created` container. */
  create(query: Record<string, string>, body: unknown): { Id: string; Warnings: string[] } {
    const spec = parseCreate(this, query, body);
    const now = this.wall.now();
    // dockerd checks the network and the mounts before it creates anything (volumes included).
    const networks = createEndpoints(
      this.networks,
      String(spec.hostConfig.NetworkMode ?? 'default'),
      (body as { NetworkingConfig?: unknown }).NetworkingConfig,
    );
    const specs = mountSpecs(spec.hostConfig, spec.config);
    const mounts = attachMounts(this.volumes, specs, now, (v) =>
      this.events.emit(objectEvent('volume', v.name, 'create', { driver: 'local' }, now)),
    );
    const c = newContainer({
      id: spec.id,
      name: spec.name,
      created: now,
      seq: this.#seq++,
      config: spec.config,
      hostConfig: spec.hostConfig,
      image: spec.image,
      path: spec.path,
      args: spec.args,
      mounts,
      networks,
    });
    this.containers.add(c);
    this.events.emit(containerEvent(c, 'create', now));
    return { Id: c.id, Warnings: [] };
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
    endpointsUp(c);
    c.ip = [...c.networks.values()].find((ep) => ep.ip !== '')?.ip ?? '';
    c.netGen++;
    if (!c.config.OpenStdin) c.stdin.end();
    this.events.emit(containerEvent(c, 'start', now));
    spawnProcess(this, c);
    return 204;
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
    if (!VALID_NAME.test(name)) throw invalidName(name);
    if (name === c.name) throw badRequest('Renaming a container with the same name as its current name');
    const holder = this.containers.byName(name);
    if (holder) throw nameConflict(name, holder);
    const old = c.name;
    this.containers.rename(c, name);
    this.events.emit(containerEvent(c, 'rename', this.wall.now(), { oldName: `/${old}` }));
  }

  /**
   * `DELETE /containers/{id}`: 409 when running or paused unless `force` (then KILL first); `volumes`
   * (`-v`) also removes its anonymous volumes that no other container mounts.
   */
  async remove(ref: string, force: boolean, volumes = false): Promise<void> {
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
    if (!volumes) return;
    for (const m of c.mounts) {
      const v = m.type === 'volume' ? this.volumes.find(m.name) : undefined;
      if (!v?.anonymous || usersOf(v, this.containers.newestFirst()).length > 0) continue;
      this.volumes.delete(v);
      this.events.emit(objectEvent('volume', v.name, 'destroy', { driver: 'local' }, this.wall.now()));
    }
  }

  /** Forgets a container: emits `destroy`, answers every waiter, ends every stream on it. */
  destroy(c: SimContainer): void {
    this.containers.delete(c);
    this.execs.forget(c);
    c.status = 'removing';
    c.stdin.cancel();
    this.events.emit(containerEvent(c, 'destroy', this.wall.now()));
    for (const w of c.waiters) w.out.end(waitBody(c.exitCode));
    c.waiters.clear();
    endStreams(c);
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
