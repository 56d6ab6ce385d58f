/**
 * `dockerclient ssh://user@host[:port]`, like the docker CLI's `-H ssh://`: every connection to the
 * daemon is an `ssh … docker system dial-stdio` process on the remote host, whose stdin/stdout carry the
 * HTTP bytes. A private unix socket (mode 0600, in a fresh 0700 folder) stands in for the daemon: each
 * connection the engine client opens on it starts one ssh process, so the pool, the streams, hijacks
 * and half-close work exactly as on a local socket.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SwarmError } from '../../errors.js';

/** Where and how to reach a daemon over ssh. */
export interface SshTarget {
  user?: string;
  host: string;
  port?: number;
  /** `--ssh-identity F`: ssh's `-i`. */
  identity?: string;
  /** `--ssh-option K=V`: ssh's `-o`, only the keys in {@link SSH_OPTIONS}. */
  options: string[];
}

/**
 * The ssh options a stage may set. Anything that runs a local command (`ProxyCommand`,
 * `LocalCommand`, `KnownHostsCommand`, `Match exec`…) is left out: stage arguments can come from a
 * nodes file or a `control add`, and must never start another program than ssh itself.
 */
export const SSH_OPTIONS: ReadonlySet<string> = new Set([
  'userknownhostsfile',
  'stricthostkeychecking',
  'connecttimeout',
  'serveraliveinterval',
  'serveralivecountmax',
  'identitiesonly',
  'compression',
  'batchmode',
  'hostkeyalias',
  'loglevel',
]);

const NAME = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

function invalid(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, message);
}

/** Parses `ssh://[user@]host[:port]` (no path: the remote `docker` finds its daemon itself). */
export function parseSshAddress(address: string): Pick<SshTarget, 'user' | 'host' | 'port'> {
  const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[^\]]+\]|[^:/@]+)(?::(\d+))?\/?$/.exec(address);
  if (!m) throw invalid(`not an ssh address: ${JSON.stringify(address)} (want ssh://user@host[:port])`);
  const [, user, rawHost = '', port] = m;
  const host = rawHost.replace(/^\[|\]$/g, '');
  // A leading '-' would be read by ssh as an option: refused, whatever else the name holds.
  if (user !== undefined && !NAME.test(user)) throw invalid(`bad user name in ${address}`);
  if (!/^[A-Za-z0-9._:][A-Za-z0-9._:-]*$/.test(host)) throw invalid(`bad host in ${address}`);
  const out: Pick<SshTarget, 'user' | 'host' | 'port'> = { host };
  if (user !== undefined) out.user = user;
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw invalid(`bad port in ${address}`);
    out.port = n;
  }
  return out;
}

/** Checks one `--ssh-option` value (`Key=value`, a key from {@link SSH_OPTIONS}). */
export function checkSshOption(option: string): string {
  const m = /^([A-Za-z]+)=([^\s]*)$/.exec(option);
  if (!m || !SSH_OPTIONS.has(m[1]!.toLowerCase()))
    throw invalid(
      `--ssh-option ${JSON.stringify(option)}: want Key=value with one of ${[...SSH_OPTIONS].join(', ')}`,
    );
  return option;
}

/** The ssh command line for one connection. */
export function sshArgv(t: SshTarget): string[] {
  const argv = ['-o', 'BatchMode=yes', '-T'];
  if (t.port !== undefined) argv.push('-p', String(t.port));
  if (t.user !== undefined) argv.push('-l', t.user);
  if (t.identity !== undefined) argv.push('-i', t.identity);
  for (const o of t.options) argv.push('-o', o);
  argv.push('--', t.host, 'docker', 'system', 'dial-stdio');
  return argv;
}

/** The local stand-in for a daemon reached over ssh. */
export class SshBridge {
  /** `unix://…` of the stand-in socket. */
  readonly address: string;
  readonly #dir: string;
  readonly #target: SshTarget;
  readonly #onStderr: (text: string) => void;
  readonly #children = new Set<ChildProcess>();
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  /** `onStderr` gets what an ssh process printed when it ended badly (a refused key, an unknown host…). */
  constructor(target: SshTarget, onStderr: (text: string) => void) {
    this.#target = target;
    this.#onStderr = onStderr;
    this.#dir = mkdtempSync(join(tmpdir(), 'swarmd-ssh-'));
    this.address = `unix://${join(this.#dir, 'd.sock')}`;
  }

  /** Listens on the stand-in socket. */
  async start(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.#connect(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(this.#dir, 'd.sock'), () => resolve());
    });
    chmodSync(join(this.#dir, 'd.sock'), 0o600);
    this.#server = server;
  }

  /** One connection: one `ssh … docker system dial-stdio`, bytes piped both ways with half-close. */
  #connect(socket: Socket): void {
    this.#sockets.add(socket);
    const child = spawn('ssh', sshArgv(this.#target), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#children.add(child);
    const err: Buffer[] = [];
    let errBytes = 0;
    child.stderr?.on('data', (c: Buffer) => {
      // The last few KiB are enough to say why it failed.
      if (errBytes < 4096) err.push(c);
      errBytes += c.length;
    });
    socket.on('error', () => socket.destroy());
    child.stdin?.on('error', () => {});
    socket.pipe(child.stdin!);
    child.stdout?.pipe(socket);
    child.once('error', (e) => {
      this.#onStderr(`cannot run ssh: ${e.message}`);
      socket.destroy();
    });
    child.once('close', (code) => {
      this.#children.delete(child);
      if (code !== 0 && code !== null) this.#onStderr(Buffer.concat(err).toString('utf8').trim());
      // The daemon side ended: the connection ends after what was already piped.
      if (!socket.destroyed) socket.end();
    });
    socket.once('close', () => {
      this.#sockets.delete(socket);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    });
  }

  /** Closes the socket, ends every ssh process and removes the folder. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    for (const c of this.#children) c.kill('SIGTERM');
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
