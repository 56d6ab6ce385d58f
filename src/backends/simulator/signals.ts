/**
 * Linux signal names and numbers as `docker kill -s` accepts them (`TERM`, `SIGTERM`, `15`), and what
 * each does to a simulated process by default.
 * @module
 */

const NUMBERS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  PWR: 30,
  SYS: 31,
};

/** Signals whose default action is to ignore (or stop, which the simulator does not model). */
const HARMLESS = new Set([17, 18, 19, 20, 21, 22, 23, 28]);

/** A parsed signal. */
export interface Signal {
  name: string;
  number: number;
}

/** Parses `TERM`, `SIGTERM`, `sigterm` or `15`; undefined when it names no signal. */
export function parseSignal(text: string): Signal | undefined {
  const t = text.trim().toUpperCase();
  if (/^\d+$/.test(t)) {
    const n = Number(t);
    const name = Object.keys(NUMBERS).find((k) => NUMBERS[k] === n);
    return name ? { name, number: n } : undefined;
  }
  const name = t.startsWith('SIG') ? t.slice(3) : t;
  const number = NUMBERS[name];
  return number === undefined ? undefined : { name, number };
}

/** True when the signal kills a process that installed no handler. */
export function isFatalByDefault(sig: Signal): boolean {
  return !HARMLESS.has(sig.number);
}
