/**
 * Runs client programs against a daemon (or against swarmd), capturing output and exit code: the
 * docker CLI, and any other client (python, docker-compose) through {@link runProcess}. Always
 * asynchronous: tests serve the chain from their own event loop, which spawnSync would block.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOCKER_CLI } from './install.js';

/** Options for {@link docker}. */
export interface DockerRunOptions {
  /** `unix:///path`, `tcp://host:port`: becomes DOCKER_HOST. */
  host: string;
  /** Bytes written to the CLI's stdin, then stdin is closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Kill the CLI after this long (default 30 s) and reject. */
  timeoutMs?: number;
  /** Extra environment (e.g. DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
  env?: Record<string, string>;
}

/** What a program printed and how it exited. */
export interface DockerRunResult {
  stdout: string;
  stderr: string;
  /** Exit code; `null` if it died by a signal. */
  code: number | null;
}

/** Options for {@link runProcess}. */
export interface RunOptions {
  /** Added to a minimal environment (PATH, HOME, LANG). */
  env?: Record<string, string>;
  /** Bytes written to stdin, then stdin is closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Kill the program after this long (default 30 s) and reject. */
  timeoutMs?: number;
}

let configDir: string | undefined;

/**
 * One fixed empty DOCKER_CONFIG folder (no credentials, no context, no hints from a user's ~/.docker);
 * clients only read it, so it is shared by all runs rather than left behind per worker.
 */
export function dockerConfigDir(): string {
  if (configDir === undefined) {
    configDir = join(tmpdir(), 'sw-docker-config');
    mkdirSync(configDir, { recursive: true });
  }
  return configDir;
}

/** The environment a client runs with: minimal, pointed at `host`, with the empty config folder. */
export function clientEnv(host: string, extra: Record<string, string> = {}): Record<string, string> {
  return { DOCKER_HOST: host, DOCKER_CONFIG: dockerConfigDir(), DOCKER_CLI_HINTS: 'false', ...extra };
}

/** Runs `cmd args` in a minimal environment plus `opts.env`. Rejects only on timeout or spawn failure. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<DockerRunResult> {
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      ...opts.env,
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {}); // the program may exit before reading all input
  child.stdin.end(opts.input);
  const text = (b: Buffer[]) => Buffer.concat(b).toString();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms; stdout=${JSON.stringify(text(out))} stderr=${JSON.stringify(text(err))}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: text(out), stderr: text(err), code });
    });
  });
}

/** Runs `docker <args>` with DOCKER_HOST=`opts.host`. Rejects only on timeout or spawn failure. */
export function docker(args: string[], opts: DockerRunOptions): Promise<DockerRunResult> {
  return runProcess(DOCKER_CLI, args, {
    env: clientEnv(opts.host, opts.env),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
