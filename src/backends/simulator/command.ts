/**
 * The command model: what a simulated container "runs". A container's argv becomes a {@link Program}
 * of simple commands joined by `;`, `&&`, `||`. Supported: `echo`, `sleep N|infinity`, `cat` (stdin
 * or files), `true`, `false`, `hostname`, `env`, `top` (runs silently until stopped), `sh -c
 * '<script>'` of those plus the builtins `exit N` and `trap '' SIG…`, output redirected to a file
 * (`> /path`, `>> /path`: the container's filesystem and its volumes, fs.ts), and interactive `sh`
 * reading commands from stdin.
 * @module
 */
import { parse } from 'shell-quote';

/** Executables the simulated image has; anything else fails to start like a missing binary. */
export const EXECUTABLES: ReadonlySet<string> = new Set([
  'echo',
  'sleep',
  'cat',
  'true',
  'false',
  'hostname',
  'env',
  'top',
  'sh',
]);

/** Builtins of the simulated shell (not executables: `docker run img exit 3` fails to start). */
export const BUILTINS: ReadonlySet<string> = new Set(['exit', 'trap', ':']);

/** One simple command of a script. */
export interface Step {
  argv: string[];
  /** How it joins the previous step: always, only after success, only after failure. */
  join: ';' | '&&' | '||';
  /** `>&2`: stdout goes to stderr. */
  toStderr: boolean;
  /** `> /dev/null`: stdout is discarded. */
  discard: boolean;
  /** `> /path` or `>> /path`: stdout goes to a file of the container's filesystem (fs.ts). */
  redirect?: { path: string; append: boolean };
  /** A shell feature the simulator does not model (pipes, background jobs); running it fails. */
  unsupported?: string;
}

/** What a process runs: a script of steps, or an interactive shell reading stdin. */
export type Program = { kind: 'script'; steps: Step[] } | { kind: 'interactive' };

/** The command name without a directory (`/bin/echo` → `echo`). */
export function baseName(cmd: string): string {
  return cmd.slice(cmd.lastIndexOf('/') + 1);
}

/**
 * The `exec:` error dockerd reports when PID 1 does not exist, or undefined when it does. Exported
 * so start can fail (exit 127) before anything runs.
 */
export function missingExecutable(argv: readonly string[]): string | undefined {
  const cmd = argv[0] ?? '';
  if (EXECUTABLES.has(baseName(cmd))) return undefined;
  return `OCI runtime create failed: container_linux.go:380: starting container process caused: exec: "${cmd}": executable file not found in $PATH: unknown`;
}

/** Builds the program for PID 1's argv (`sh -c` scripts are parsed; `sh` alone is interactive). */
export function programFor(argv: readonly string[], env: Record<string, string>): Program {
  if (baseName(argv[0] ?? '') === 'sh') {
    const c = argv.indexOf('-c');
    if (c < 0) return { kind: 'interactive' };
    return { kind: 'script', steps: parseScript(argv[c + 1] ?? '', env) };
  }
  return { kind: 'script', steps: [plainStep([...argv])] };
}

function plainStep(argv: string[], join: Step['join'] = ';'): Step {
  return { argv, join, toStderr: false, discard: false };
}

/** Parses a shell script into steps; `$VAR` expands from `env`. Newlines separate like `;`. */
export function parseScript(script: string, env: Record<string, string>): Step[] {
  const tokens = parse(script.replace(/\r?\n/g, ' ; '), (key: string) => env[key] ?? '');
  const steps: Step[] = [];
  let current = plainStep([]);
  const flush = (next: Step['join']) => {
    if (current.argv.length > 0 || current.unsupported) steps.push(current);
    current = plainStep([], next);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (typeof t === 'string') {
      current.argv.push(t);
      continue;
    }
    if (!t || !('op' in t)) continue; // comments and globs
    const op = t.op as string;
    if (op === ';' || op === '&&' || op === '||') flush(op);
    else if (op === '>&' && tokens[i + 1] === '2') {
      // `echo x >&2` and `echo x 1>&2`.
      if (current.argv.at(-1) === '1') current.argv.pop();
      current.toStderr = true;
      i++;
    } else if (op === '>' && tokens[i + 1] === '/dev/null') {
      current.discard = true;
      i++;
    } else if ((op === '>' || op === '>>') && typeof tokens[i + 1] === 'string') {
      current.redirect = { path: tokens[i + 1] as string, append: op === '>>' };
      i++;
    } else current.unsupported = op;
  }
  flush(';');
  return steps;
}
