/** Real swarmd processes for the link tests: start, wait until up, kill; a free TCP port. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running swarmd child with its accumulated stderr. */
export interface SwarmdProc {
  proc: ChildProcess;
  readonly stderr: string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `bin/swarmd.js <stages…>` and resolves once it logs "stages running". */
export async function startSwarmd(stages: string[], timeoutMs = 20_000): Promise<SwarmdProc> {
  const proc = spawn(process.execPath, ['bin/swarmd.js', '--log-level', 'info', ...stages], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  proc.stdout?.on('data', (d) => (stderr += d));
  const handle: SwarmdProc = {
    proc,
    get stderr() {
      return stderr;
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill(signal);
      return exited;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!/stages running/.test(stderr)) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await handle.kill();
      throw new Error(`swarmd ${stages.join(' | ')} did not start:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return handle;
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
