/**
 * A simulated process: runs a {@link Program} with output callbacks, a {@link StdinQueue} and timers
 * on the injected clock. Signals kill it with 128+n (KILL 137, TERM 143, INT 130) unless trapped or
 * harmless; pause freezes its timers and output until resume. A process costs one promise chain and,
 * only while it sleeps a finite time, one clock timer.
 * @module
 */
import type { Clock, TimerHandle } from '../../clock.js';
import { BUILTINS, baseName, EXECUTABLES, type Program, parseScript, type Step } from './command.js';
import type { ContainerFs } from './fs.js';
import { isFatalByDefault, type Signal } from './signals.js';
import type { StdinQueue } from './stdin.js';

/** What a process sees of its container. */
export interface ProcessIO {
  /** Writes to stdout (1) or stderr (2). */
  write(stream: 1 | 2, data: string | Buffer): void;
  stdin: StdinQueue;
  hostname: string;
  /** `KEY=value` entries. */
  env: readonly string[];
  /** A terminal: the interactive shell prompts and echoes input. */
  tty: boolean;
  /** The container's files (`cat FILE`, `> FILE`); none: every file is missing. */
  fs?: ContainerFs;
}

/** Thrown through the interpreter when a signal kills the process. */
class Killed extends Error {
  constructor(readonly exitCode: number) {
    super('killed');
  }
}

interface Nap {
  deadline: number;
  remaining: number;
  timer: TimerHandle | undefined;
  resolve: () => void;
}

/** Parses busybox `sleep` operands (`1`, `0.5`, `2m`, `infinity`) into ms; undefined when invalid. */
export function parseSleep(args: readonly string[]): number | undefined {
  let total = 0;
  for (const a of args) {
    if (a === 'inf' || a === 'infinity') return Number.POSITIVE_INFINITY;
    const m = /^(\d+(?:\.\d+)?|\.\d+)([smhd]?)$/.exec(a);
    if (!m) return undefined;
    const unit = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's'];
    total += Number(m[1]) * unit;
  }
  return args.length === 0 ? undefined : total;
}

/** A running simulated process. */
export class SimProcess {
  /** Resolves with the exit code when the process ends, however it ends. */
  readonly exited: Promise<number>;
  readonly #clock: Clock;
  readonly #io: ProcessIO;
  readonly #ignored = new Set<number>();
  #paused = false;
  #resume: (() => void) | undefined;
  #queued: Signal[] = [];
  #abort: ((err: Error) => void) | undefined;
  #nap: Nap | undefined;
  #killedWith: number | undefined;
  #exitRequested: number | undefined;
  #status = 0;

  constructor(program: Program, io: ProcessIO, clock: Clock) {
    this.#clock = clock;
    this.#io = io;
    this.exited = this.#main(program);
  }

  /** True once a signal killed it (the exit code is then 128 + signal number). */
  get killed(): boolean {
    return this.#killedWith !== undefined;
  }

  /**
   * Delivers a signal. KILL always kills; while paused, others wait for resume. Returns what happened.
   */
  signal(sig: Signal): 'killed' | 'ignored' | 'queued' {
    if (this.#killedWith !== undefined) return 'ignored';
    if (sig.number !== 9 && this.#paused) {
      this.#queued.push(sig);
      return 'queued';
    }
    if (sig.number !== 9 && (this.#ignored.has(sig.number) || !isFatalByDefault(sig))) return 'ignored';
    this.#killedWith = 128 + sig.number;
    if (this.#nap?.timer) this.#clock.clearTimeout(this.#nap.timer);
    this.#nap = undefined;
    this.#io.stdin.cancel();
    const abort = this.#abort;
    this.#abort = undefined;
    abort?.(new Killed(this.#killedWith));
    return 'killed';
  }

  /** Freezes timers and output (docker pause). */
  pause(): void {
    if (this.#paused || this.killed) return;
    this.#paused = true;
    const nap = this.#nap;
    if (nap?.timer) {
      this.#clock.clearTimeout(nap.timer);
      nap.timer = undefined;
      nap.remaining = Math.max(0, nap.deadline - this.#clock.now());
    }
  }

  /** Thaws (docker unpause): timers resume with the time they had left; queued signals arrive. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    const nap = this.#nap;
    if (nap && !nap.timer && Number.isFinite(nap.remaining)) this.#arm(nap, nap.remaining);
    const wake = this.#resume;
    this.#resume = undefined;
    wake?.();
    const queued = this.#queued;
    this.#queued = [];
    for (const s of queued) this.signal(s);
  }

  async #main(program: Program): Promise<number> {
    try {
      const code =
        program.kind === 'interactive' ? await this.#interactive() : await this.#run(program.steps);
      return this.#killedWith ?? code;
    } catch (err) {
      if (err instanceof Killed) return err.exitCode;
      this.#io.write(2, `sh: ${(err as Error).message}\n`);
      return 2;
    }
  }

  /** Awaits `p` unless a signal kills the process first; then checks the process still lives. */
  async #interruptible<T>(p: Promise<T>): Promise<T> {
    this.#check();
    const value = await new Promise<T>((resolve, reject) => {
      this.#abort = reject;
      p.then(resolve, reject);
    });
    this.#abort = undefined;
    this.#check();
    return value;
  }

  #check(): void {
    if (this.#killedWith !== undefined) throw new Killed(this.#killedWith);
  }

  #gate(): Promise<void> | undefined {
    if (!this.#paused) return undefined;
    return this.#interruptible(
      new Promise<void>((resolve) => {
        this.#resume = resolve;
      }),
    );
  }

  #arm(nap: Nap, ms: number): void {
    nap.deadline = this.#clock.now() + ms;
    nap.timer = this.#clock.setTimeout(() => {
      this.#nap = undefined;
      nap.resolve();
    }, ms);
  }

  #sleep(ms: number): Promise<void> {
    return this.#interruptible(
      new Promise<void>((resolve) => {
        // `sleep infinity` holds no timer at all: idle containers must cost nothing but memory.
        const nap: Nap = { deadline: 0, remaining: ms, timer: undefined, resolve };
        this.#nap = nap;
        if (Number.isFinite(ms) && !this.#paused) this.#arm(nap, ms);
      }),
    );
  }

  async #run(steps: readonly Step[]): Promise<number> {
    for (const step of steps) {
      if (step.join === '&&' && this.#status !== 0) continue;
      if (step.join === '||' && this.#status === 0) continue;
      await this.#gate();
      this.#status = await this.#step(step);
      if (this.#exitRequested !== undefined) return this.#exitRequested;
    }
    return this.#status;
  }

  async #step(step: Step): Promise<number> {
    const err = (text: string) => this.#io.write(2, text);
    const redirect = step.redirect;
    if (redirect) {
      // The shell opens (creates or truncates) the file before it runs the command, like ash.
      const failed = this.#io.fs
        ? this.#io.fs.write(redirect.path, Buffer.alloc(0), redirect.append)
        : `can't create ${redirect.path}: nonexistent directory`;
      if (failed) {
        err(`sh: ${failed}\n`);
        return 1;
      }
    }
    const out = (text: string | Buffer) => {
      if (step.discard) return;
      if (redirect && this.#io.fs) {
        this.#io.fs.write(redirect.path, typeof text === 'string' ? Buffer.from(text) : text, true);
        return;
      }
      this.#io.write(step.toStderr ? 2 : 1, text);
    };
    if (step.unsupported) {
      err(`sh: syntax error: '${step.unsupported}' is not simulated\n`);
      return 2;
    }
    const [cmd = '', ...args] = step.argv;
    const name = baseName(cmd);
    if (!EXECUTABLES.has(name) && !BUILTINS.has(name)) {
      err(`sh: ${cmd}: not found\n`);
      return 127;
    }
    switch (name) {
      case 'echo': {
        const noNewline = args[0] === '-n';
        out(`${(noNewline ? args.slice(1) : args).join(' ')}${noNewline ? '' : '\n'}`);
        return 0;
      }
      case 'sleep': {
        const ms = parseSleep(args);
        if (ms === undefined) {
          err(`sleep: invalid number '${args[0] ?? ''}'\n`);
          return 1;
        }
        await this.#sleep(ms);
        return 0;
      }
      case 'top':
        await this.#sleep(Number.POSITIVE_INFINITY);
        return 0;
      case 'cat':
        return this.#cat(args, out, err);
      case 'true':
      case ':':
        return 0;
      case 'false':
        return 1;
      case 'hostname':
        out(`${this.#io.hostname}\n`);
        return 0;
      case 'env':
        out(this.#io.env.map((e) => `${e}\n`).join(''));
        return 0;
      case 'exit': {
        const code = args[0] === undefined ? this.#status : Number(args[0]);
        this.#exitRequested = Number.isInteger(code) ? code & 255 : 2;
        return this.#exitRequested;
      }
      case 'trap':
        return this.#trap(args);
      default:
        return this.#subshell(args);
    }
  }

  async #cat(args: string[], out: (t: Buffer) => void, err: (t: string) => void): Promise<number> {
    if (args.length > 0 && args[0] !== '-') {
      // busybox cat: every file in turn; a missing one is reported and the status is 1.
      let status = 0;
      for (const path of args) {
        const r = this.#io.fs?.read(path) ?? {
          ok: false as const,
          error: `can't open '${path}': No such file or directory`,
        };
        if (r.ok) out(r.data);
        else {
          err(`cat: ${r.error}\n`);
          status = 1;
        }
      }
      return status;
    }
    for (;;) {
      const chunk = await this.#interruptible(this.#io.stdin.read());
      if (chunk === null) return 0;
      await this.#gate();
      out(chunk);
    }
  }

  #trap(args: string[]): number {
    const [action = '', ...sigs] = args;
    for (const s of sigs) {
      const n = { HUP: 1, INT: 2, QUIT: 3, USR1: 10, USR2: 12, TERM: 15 }[s.replace(/^SIG/, '') as 'HUP'];
      if (n === undefined) continue;
      if (action === '-') this.#ignored.delete(n);
      else this.#ignored.add(n); // '' ignores; a handler command is modelled as "survives the signal"
    }
    return 0;
  }

  /** `sh -c '…'` inside a script: its `exit` ends only the subshell. */
  async #subshell(args: string[]): Promise<number> {
    const c = args.indexOf('-c');
    if (c < 0) return 0;
    const outer = this.#exitRequested;
    const code = await this.#run(parseScript(args[c + 1] ?? '', envMap(this.#io.env)));
    this.#exitRequested = outer;
    return code;
  }

  async #interactive(): Promise<number> {
    const tty = this.#io.tty;
    const prompt = () => {
      if (tty) this.#io.write(1, '/ # ');
    };
    prompt();
    let pending = '';
    for (;;) {
      const chunk = await this.#interruptible(this.#io.stdin.read());
      if (chunk === null) return this.#status;
      const text = chunk.toString('utf8');
      if (tty) this.#io.write(1, text.replace(/\r/g, '\n'));
      pending += text;
      const lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) {
        await this.#run(parseScript(line, envMap(this.#io.env)));
        if (this.#exitRequested !== undefined) return this.#exitRequested;
        prompt();
      }
    }
  }
}

/** `KEY=value` entries as a map (later entries win, like a shell environment). */
export function envMap(env: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq > 0) map[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return map;
}
