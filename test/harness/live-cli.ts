/**
 * docker CLIs left running (events, logs -f, attach), plain or in a pseudo-terminal whose size can
 * change: read what they printed so far, wait for text, write to stdin, kill them.
 * @module
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { quote } from 'shell-quote';
import { clientEnv, type DockerRunResult } from './docker-cli.js';
import { DOCKER_CLI } from './install.js';

/** Environment of the CLI: the harness's, whole (a spawned CLI here does not go through runProcess). */
function cliEnv(host: string): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...clientEnv(host) };
}

/** A CLI left running (events, logs -f, attach): read what it printed so far, wait for text, kill it. */
export interface LiveCli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches `re` (rejects after `ms` with what was printed). */
  waitFor(re: RegExp, ms?: number): Promise<void>;
  /** Resolves with the result once the CLI exits (rejects after `ms`). */
  exited(ms?: number): Promise<DockerRunResult>;
  /** Writes to its stdin. */
  write(s: string | Buffer): void;
}

/** A CLI in a pseudo-terminal, whose size can change while it runs. */
export interface TtyCli extends LiveCli {
  /** Resizes the pty (`stty -F`): the kernel sends SIGWINCH to the CLI, as a terminal window would. */
  resize(rows: number, cols: number): void;
}

function live(child: ChildProcess, what: string): LiveCli {
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  child.stdin?.on('error', () => {});
  const done = new Promise<DockerRunResult>((resolve) =>
    child.once('close', (code) => resolve({ stdout: out, stderr: err, code })),
  );
  const within = <T>(p: Promise<T>, ms: number, why: string) =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `${what}: ${why} after ${ms} ms; stdout=${JSON.stringify(out)} stderr=${JSON.stringify(err)}`,
            ),
          ),
        ms,
      );
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(re, ms = 15_000) {
      return within(
        new Promise<void>((resolve) => {
          const check = () => {
            if (!re.test(out)) return;
            child.stdout?.off('data', check);
            resolve();
          };
          child.stdout?.on('data', check);
          check();
        }),
        ms,
        `no ${re}`,
      );
    },
    exited: (ms = 20_000) => within(done, ms, 'still running'),
    write: (s) => child.stdin?.write(s),
  };
}

/** Starts `docker <args>` against `host` and leaves it running. */
export function dockerLive(args: string[], host: string): LiveCli {
  const child = spawn(DOCKER_CLI, args, { stdio: ['pipe', 'pipe', 'pipe'], env: cliEnv(host) });
  return live(child, `docker ${args.join(' ')}`);
}

/**
 * Runs `docker <args>` in a pseudo-terminal of `rows`×`cols` (util-linux `script`), so `-t` sees a real
 * terminal. stdin stays open until the CLI exits (an early EOF would reach the pty as `^D`).
 */
export function dockerTty(args: string[], host: string, size = { rows: 40, cols: 120 }): TtyCli {
  const line = `stty rows ${size.rows} cols ${size.cols}; exec ${quote([DOCKER_CLI, ...args])}`;
  const child = spawn('script', ['-qec', line, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: cliEnv(host),
  });
  child.once('close', () => child.stdin?.end());
  const resize = (rows: number, cols: number) => {
    // script's only child is the shell that exec'd docker; its stdin is the pty.
    const kid = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0];
    const pty = readlinkSync(`/proc/${kid}/fd/0`);
    execFileSync('stty', ['-F', pty, 'rows', String(rows), 'cols', String(cols)]);
  };
  return { ...live(child, `script docker ${args.join(' ')}`), resize };
}
