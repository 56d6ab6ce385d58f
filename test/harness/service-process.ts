/**
 * A helper service the tests run as a plain child process (a registry, an sshd): its output kept for
 * failure messages, started until it is ready, stopped by its own pid (never by program name) with its
 * folder removed. A service that fails to become ready is stopped before the error is thrown.
 * @module
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { until } from './until.js';

/** A running service process. */
export interface ServiceProcess {
  /** Its stdout and stderr so far. */
  log(): string;
  /** TERM, wait for the exit, remove `dir`. */
  stop(): Promise<void>;
}

/**
 * Spawns `bin args`, then waits up to `readyMs` for `ready(log)` (checked every 50 ms); `label` names it
 * in errors. `dir` (its private folder) is removed by `stop()`.
 */
export async function startServiceProcess(opts: {
  bin: string;
  args: readonly string[];
  dir: string;
  label: string;
  readyMs: number;
  ready: (log: string) => boolean | Promise<boolean>;
}): Promise<ServiceProcess> {
  const logs: Buffer[] = [];
  const child = spawn(opts.bin, opts.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (c: Buffer) => logs.push(c));
  child.stderr.on('data', (c: Buffer) => logs.push(c));
  const log = () => Buffer.concat(logs).toString();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(opts.dir, { recursive: true, force: true });
  };
  try {
    await until(
      () => {
        if (child.exitCode !== null) throw new Error(`${opts.label} exited: ${log()}`);
        return opts.ready(log());
      },
      opts.readyMs,
      () => `${opts.label} to be ready:\n${log().slice(-2000)}`,
      50,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { log, stop };
}
