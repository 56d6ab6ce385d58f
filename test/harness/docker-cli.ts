/**
 * Runs the real docker CLI against a daemon (or against swarmd), capturing output and exit code.
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

/** What the CLI printed and how it exited. */
export interface DockerRunResult {
  stdout: string;
  stderr: string;
  /** Exit code; `null` if it died by a signal. */
  code: number | null;
}

let configDir: string | undefined;

/** Runs `docker <args>` with DOCKER_HOST=`opts.host`. Rejects only on timeout or spawn failure. */
export function docker(args: string[], opts: DockerRunOptions): Promise<DockerRunResult> {
  // One fixed empty dir (no credentials, no context, no hints from a user's ~/.docker); the CLI only
  // reads it, so it is shared by all runs rather than left behind per worker.
  if (configDir === undefined) {
    configDir = join(tmpdir(), 'sw-docker-config');
    mkdirSync(configDir, { recursive: true });
  }
  const child = spawn(DOCKER_CLI, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      DOCKER_HOST: opts.host,
      DOCKER_CONFIG: configDir,
      DOCKER_CLI_HINTS: 'false',
      ...opts.env,
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {}); // the CLI may exit before reading all input
  child.stdin.end(opts.input);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `docker ${args.join(' ')} timed out after ${timeoutMs} ms; stdout=${JSON.stringify(Buffer.concat(out).toString())} stderr=${JSON.stringify(Buffer.concat(err).toString())}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code });
    });
  });
}
