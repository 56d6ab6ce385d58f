/**
 * A real `swarmd` process for tests and benches: started from bin/swarmd.js (or an installed package's
 * launcher), resolved once its stages run, its output collected, stopped or killed by the caller.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { until } from './until.js';

/** This checkout's launcher. */
export const REPO_BIN = fileURLToPath(new URL('../../bin/swarmd.js', import.meta.url));

/** How to start swarmd: another launcher or folder (an installed package's), another log level. */
export interface SwarmdOptions {
  /** The launcher to run with node (default: this checkout's bin/swarmd.js). */
  bin?: string;
  /** Its working directory (default: this process's). */
  cwd?: string;
  /** Its `--log-level` (default `warn`; `info` adds link, restart and program lines). */
  logLevel?: string;
}

/** A running swarmd child process. */
export interface SwarmdProcess {
  proc: ChildProcess;
  /** Everything it wrote to stderr so far (its log). */
  stderr(): string;
  /** Everything it wrote to stdout so far. */
  stdout(): string;
  /** Resolves with the exit code once it exits (null when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGTERM (a graceful stop), then the exit code. */
  stop(): Promise<number | null>;
  /** Sends `signal` (default SIGKILL) unless it already exited, then resolves with the exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts `node <bin> --log-level <level> <args…>` and resolves once it logs that its stages run
 * ("stages running"). Rejects, killing it, if it exits first or does not get there within `timeoutMs`;
 * the error carries its stderr.
 */
export async function startSwarmd(
  args: string[],
  timeoutMs = 20_000,
  opts: SwarmdOptions = {},
): Promise<SwarmdProcess> {
  const proc = spawn(
    process.execPath,
    [opts.bin ?? REPO_BIN, '--log-level', opts.logLevel ?? 'warn', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: opts.cwd,
    },
  );
  let err = '';
  let out = '';
  proc.stderr?.on('data', (d) => (err += d));
  proc.stdout?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  const s: SwarmdProcess = {
    proc,
    stderr: () => err,
    stdout: () => out,
    exited,
    stop: () => kill('SIGTERM'),
    kill,
  };
  try {
    await until(
      () => {
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`swarmd exited ${proc.exitCode ?? proc.signalCode}:\n${err}`);
        return /stages? running/.test(err);
      },
      timeoutMs,
      () => `swarmd ${args.join(' | ')} to start:\n${err}`,
      50,
    );
  } catch (e) {
    await kill();
    throw e;
  }
  return s;
}
