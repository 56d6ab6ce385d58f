import { type ChildProcess, spawn } from 'node:child_process';

/** A swarmd process started from bin/swarmd.js, with its stderr collected. */
export interface SwarmdProcess {
  proc: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once it exits. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `bin/swarmd.js <args>` and waits until every stage is up ("stages running"). */
export async function startSwarmd(args: string[], timeoutMs = 20_000): Promise<SwarmdProcess> {
  const proc = spawn(process.execPath, ['bin/swarmd.js', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  proc.stdout?.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const s: SwarmdProcess = {
    proc,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  await until(
    () => /stages? running/.test(err),
    timeoutMs,
    () => {
      if (proc.exitCode !== null) throw new Error(`swarmd exited ${proc.exitCode}:\n${err}`);
      return `swarmd did not start:\n${err}`;
    },
  );
  return s;
}

/** Polls `cond` every 50 ms until it holds; `why` explains (or throws) on timeout or on every poll. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  why: () => string = () => 'condition not met',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    const reason = why();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${reason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
