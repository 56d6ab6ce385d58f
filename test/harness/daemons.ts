/**
 * Private dockerd daemons for tests (test-bed.md): each with its own socket, data root, exec root,
 * pid file and hostname under a short base folder (/tmp/sw-XXXX, because unix socket paths are
 * limited to 107 bytes and containerd nests its sockets under the exec root). Faults are real
 * signals; teardown is by pid, never by process name.
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { mountsUnder, reapHelpers } from './cleanup.js';
import { docker } from './docker-cli.js';
import { busyboxPath, ensureDockerInstalled } from './install.js';
import { until } from './until.js';

/** Options for {@link startDaemons}. */
export interface DaemonOptions {
  /** Also listen on `tcp://127.0.0.1:<free port>` (loopback only). */
  tcp?: boolean;
  /** Daemon labels (shown in `docker info`); `node=<name>` is always added. */
  labels?: Record<string, string>;
  /** Import `busybox:local` into each daemon (default true). */
  image?: boolean;
  /** Hostnames are `<prefix>1`, `<prefix>2`, … (default `node`). */
  namePrefix?: string;
  /** More dockerd flags, e.g. `['--tlsverify', '--tlscacert', ca, …]` (joined into a shell line: no spaces). */
  extraArgs?: string[];
  /** How long a daemon may take to answer `_ping` (default 90 s). */
  readyTimeoutMs?: number;
  /**
   * Run each daemon in a network namespace of its own (only `lo`, up): daemons that create bridges with
   * fixed subnets or join swarm mode side by side (a peer's test suite run twice at once) cannot clash
   * on the host's addresses, routes or VXLAN port. Its unix socket works as always; a `tcp` port does not
   * reach it from outside.
   */
  ownNetwork?: boolean;
}

/** One private dockerd. */
export interface Daemon {
  /** Its hostname, as `docker info` shows it (`node1`…). */
  readonly name: string;
  /** Its folder (socket, data, exec root, pid file, log). */
  readonly dir: string;
  /** Path of the unix socket. */
  readonly socket: string;
  /** `unix://<socket>`, ready for DOCKER_HOST / `-H`. */
  readonly host: string;
  /** `tcp://127.0.0.1:<port>` when started with `tcp: true`. */
  readonly tcp?: string;
  /** dockerd's current pid (changes on restart). */
  readonly pid: number;
  /** True while the dockerd process is alive (it may be STOPped). */
  readonly running: boolean;
  /** Sends a signal to dockerd (e.g. `SIGSTOP`, `SIGCONT`, `SIGKILL`). */
  kill(signal: NodeJS.Signals): void;
  /** Stops dockerd if alive (or waits for a killed one to be gone), starts it again, waits until ready. */
  restart(): Promise<void>;
  /** Stops dockerd (TERM, KILL after 20 s), kills leftover shims by pid, unmounts, removes the folder. */
  stop(): Promise<void>;
  /** The daemon's log so far (for failure messages). */
  log(): string;
}

const live = new Set<ChildProcess>();
// Safety net: a worker that dies without teardown must not leave daemons running.
process.once('exit', () => {
  for (const c of live) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
});

/** Finds a free loopback TCP port. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  await new Promise<void>((r) => srv.close(() => r()));
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return addr.port;
}

/** One `GET /_ping` over a unix socket; true on 200. */
export function pingSocket(socket: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the busybox rootfs tarball once per base folder (test-bed.md, "An image without a registry"). */
function rootfsTar(base: string): string {
  const tar = join(base, 'rootfs.tar');
  if (existsSync(tar)) return tar;
  const r = join(base, 'rootfs');
  mkdirSync(join(r, 'bin'), { recursive: true });
  spawnSync('cp', [busyboxPath(), join(r, 'bin', 'busybox')]);
  for (const c of [
    'sh',
    'echo',
    'cat',
    'sleep',
    'ls',
    'true',
    'false',
    'head',
    'printf',
    'env',
    'id',
    'hostname',
  ]) {
    symlinkSync('busybox', join(r, 'bin', c));
  }
  const res = spawnSync('tar', ['-C', r, '-cf', tar, '.']);
  if (res.status !== 0) throw new Error(`tar failed: ${res.stderr}`);
  return tar;
}

class PrivateDaemon implements Daemon {
  readonly socket: string;
  readonly host: string;
  tcp?: string;
  /** See {@link DaemonOptions.ownNetwork}. */
  ownNetwork = false;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly labels: Record<string, string>,
    private readonly readyTimeoutMs: number,
    private readonly extraArgs: readonly string[],
    private readonly onGone: () => void,
  ) {
    this.socket = join(dir, 'd.sock');
    this.host = `unix://${this.socket}`;
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Spawns dockerd in its own session and UTS namespace; `setsid`/`unshare`/`sh` all exec, so the pid is dockerd's. */
  async launch(): Promise<void> {
    const d = this.dir;
    const flags = [
      `--host unix://${this.socket}`,
      this.tcp ? `--host ${this.tcp}` : '',
      ...this.extraArgs,
      `--data-root ${d}/data --exec-root ${d}/x --pidfile ${d}/pid`,
      '--iptables=false --bridge=none',
      ...Object.entries({ node: this.name, ...this.labels }).map(([k, v]) => `--label ${k}=${v}`),
    ].join(' ');
    const logFd = openSync(join(d, 'log'), 'a');
    const net = this.ownNetwork ? ['--net'] : [];
    const lo = this.ownNetwork ? 'ip link set lo up; ' : '';
    const child = spawn(
      'setsid',
      ['unshare', '--uts', ...net, 'sh', '-c', `hostname ${this.name}; ${lo}exec dockerd ${flags}`],
      {
        stdio: ['ignore', logFd, logFd],
      },
    );
    closeSync(logFd);
    this.#child = child;
    live.add(child);
    this.#exited = new Promise((r) => {
      child.once('exit', () => {
        live.delete(child);
        r();
      });
    });
    await until(
      async () => {
        if (!this.running)
          throw new Error(`dockerd ${this.name} exited while starting:\n${this.log().slice(-2000)}`);
        return pingSocket(this.socket);
      },
      this.readyTimeoutMs,
      () => `dockerd ${this.name} to be ready:\n${this.log().slice(-2000)}`,
      150,
    );
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, signal);
  }

  async #halt(): Promise<void> {
    if (this.running) {
      process.kill(this.pid, 'SIGCONT'); // a STOPped daemon cannot handle TERM
      process.kill(this.pid, 'SIGTERM');
      const killed = await Promise.race([this.#exited.then(() => false), sleep(20_000).then(() => true)]);
      if (killed) this.kill('SIGKILL');
    }
    await this.#exited;
  }

  async restart(): Promise<void> {
    await this.#halt();
    await reapHelpers(this.dir, false);
    await this.launch();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#halt();
    // containerd and shims outlive a KILLed dockerd; they name our folder on their command line.
    await reapHelpers(this.dir, true);
    for (const m of mountsUnder(this.dir)) spawnSync('umount', ['-l', m]);
    rmSync(this.dir, { recursive: true, force: true });
    this.onGone();
  }
}

/**
 * Starts `n` private dockerd daemons in parallel and waits until each answers `_ping` (and has
 * `busybox:local` unless `image: false`). Installs docker.io first if missing. On failure, the
 * daemons already started are stopped before the error is thrown.
 */
export async function startDaemons(n: number, opts: DaemonOptions = {}): Promise<Daemon[]> {
  ensureDockerInstalled();
  const base = mkdtempSync('/tmp/sw-');
  let alive = n;
  const gone = () => {
    if (--alive === 0) rmSync(base, { recursive: true, force: true });
  };
  const daemons: PrivateDaemon[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `${opts.namePrefix ?? 'node'}${i}`;
    const dir = join(base, `n${i}`);
    mkdirSync(dir);
    const d = new PrivateDaemon(
      name,
      dir,
      opts.labels ?? {},
      opts.readyTimeoutMs ?? 90_000,
      opts.extraArgs ?? [],
      gone,
    );
    if (opts.tcp) d.tcp = `tcp://127.0.0.1:${await freePort()}`;
    if (opts.ownNetwork) d.ownNetwork = true;
    daemons.push(d);
  }
  try {
    const tar = opts.image === false ? undefined : rootfsTar(base);
    await Promise.all(
      daemons.map(async (d) => {
        await d.launch();
        if (tar === undefined) return;
        const r = await docker(['import', tar, 'busybox:local'], { host: d.host, timeoutMs: 60_000 });
        if (r.code !== 0) throw new Error(`import into ${d.name} failed: ${r.stderr}`);
      }),
    );
  } catch (err) {
    await stopDaemons(daemons);
    throw err;
  }
  return daemons;
}

/** Stops every daemon (in parallel); safe to call twice. */
export async function stopDaemons(daemons: readonly Daemon[]): Promise<void> {
  await Promise.all(daemons.map((d) => d.stop()));
}
