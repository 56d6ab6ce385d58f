/**
 * The libswarm verb protocol's envelope: every request and every reply between stages is a
 * {@link Message}. Replies go to the request's `ret` Sender; a request is finished when `ret` closes.
 * Docker operations travel as structured `args` (never opaque HTTP) so any stage can read, rewrite or
 * answer them.
 * @module
 */
import type { Duplex } from 'node:stream';
import type { Sender } from '../libchan/types.js';

/**
 * Verb names and their stable wire codes. 0–12 are libswarm's 13 verbs in the original order; later
 * codes extend the set for Docker. Never renumber: codes are on the wire.
 */
export const VerbCode = {
  ack: 0,
  attach: 1,
  connect: 2,
  error: 3,
  file: 4,
  get: 5,
  log: 6,
  ls: 7,
  set: 8,
  spawn: 9,
  start: 10,
  stop: 11,
  watch: 12,
  kill: 13,
  remove: 14,
  wait: 15,
  exec: 16,
  resize: 17,
  restart: 18,
  rename: 19,
  pause: 20,
  unpause: 21,
  top: 22,
  stats: 23,
  logs: 24,
  archive: 25,
  prune: 26,
  control: 27,
} as const;

/** A verb's name, e.g. `'ls'`. */
export type Verb = keyof typeof VerbCode;

/** Every verb name, in wire-code order. */
export const VERBS = Object.keys(VerbCode) as Verb[];

/** True when `name` is a known verb. */
export function isVerb(name: unknown): name is Verb {
  return typeof name === 'string' && Object.hasOwn(VerbCode, name);
}

/** One request or reply. `args` is verb-specific structured data (CBOR-encodable). */
export interface Message<A = unknown> {
  verb: Verb;
  args: A;
  /** Where replies go. Absent on one-way messages (log, error upstream). */
  ret?: Sender<Message>;
  /** A byte stream travelling with the message (attach, logs, exec, events, archive). */
  stream?: Duplex;
}

/** The `args` of an `error` reply. `status` is the HTTP status a Docker front end should use. */
export interface ErrorArgs {
  message: string;
  code?: string;
  status?: number;
}
