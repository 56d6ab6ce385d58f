/**
 * The verb catalog: what each verb of {@link VerbCode} is for, which replies a request may get, and
 * checks for messages that arrive from outside the process (a session, a program). PROTOCOL.md
 * Part 2 documents the same table; a test keeps the two in step.
 * @module
 */
import { ErrorCode, ProtocolError, SwarmError } from '../errors.js';
import { isSender } from '../libchan/types.js';
import { type ErrorArgs, isVerb, type Message, VERBS, type Verb, VerbCode } from './message.js';

/** Whether a verb starts a request, only answers one, is reserved, or travels one way. */
export type VerbKind = 'request' | 'reply' | 'one-way' | 'reserved';

/** One catalog entry. */
export interface VerbInfo {
  verb: Verb;
  code: number;
  kind: VerbKind;
  /** The replies a request with this verb may settle with (besides `error`, which any request may get). */
  replies: readonly Verb[];
  summary: string;
}

const SET: readonly Verb[] = ['set'];
const STREAM: readonly Verb[] = ['ack'];
const EITHER: readonly Verb[] = ['set', 'ack'];

const table: Record<Verb, Omit<VerbInfo, 'verb' | 'code'>> = {
  ack: { kind: 'reply', replies: [], summary: 'success, possibly carrying an object or a byte stream' },
  attach: {
    kind: 'request',
    replies: STREAM,
    summary: 'attach to a container: ack carrying the duplex stream',
  },
  connect: { kind: 'reserved', replies: [], summary: 'reserved (libswarm: hand over a connection)' },
  error: { kind: 'reply', replies: [], summary: 'failure: ErrorArgs {message, code?, status?}' },
  file: { kind: 'reserved', replies: [], summary: 'reserved (libswarm: a file transfer)' },
  get: { kind: 'request', replies: SET, summary: 'read one object (ping, version, info, inspect)' },
  log: { kind: 'one-way', replies: [], summary: 'a line of progress or output' },
  ls: { kind: 'request', replies: SET, summary: 'list objects (containers, images)' },
  set: { kind: 'reply', replies: [], summary: 'a complete answer' },
  spawn: { kind: 'request', replies: EITHER, summary: 'create an object (container create, image pull)' },
  start: { kind: 'request', replies: EITHER, summary: 'start a container' },
  stop: { kind: 'request', replies: EITHER, summary: 'stop a container' },
  watch: { kind: 'request', replies: STREAM, summary: 'subscribe to events: ack carrying the event stream' },
  kill: { kind: 'request', replies: EITHER, summary: 'signal a container' },
  remove: { kind: 'request', replies: EITHER, summary: 'remove a container' },
  wait: {
    kind: 'request',
    replies: STREAM,
    summary: 'wait for a container: ack at once, exit status on the stream',
  },
  exec: { kind: 'request', replies: EITHER, summary: 'create (set) or start (ack with a stream) an exec' },
  resize: { kind: 'request', replies: EITHER, summary: 'resize a tty' },
  restart: { kind: 'request', replies: EITHER, summary: 'restart a container' },
  rename: { kind: 'request', replies: EITHER, summary: 'rename a container' },
  pause: { kind: 'request', replies: EITHER, summary: 'pause a container' },
  unpause: { kind: 'request', replies: EITHER, summary: 'unpause a container' },
  top: { kind: 'request', replies: SET, summary: 'list the processes of a container' },
  stats: { kind: 'request', replies: EITHER, summary: 'resource usage: ack with a stream, or one set' },
  logs: { kind: 'request', replies: STREAM, summary: 'container output: ack carrying the log stream' },
  archive: { kind: 'request', replies: EITHER, summary: 'stat (set), get (ack with a tar) or put a path' },
  prune: { kind: 'request', replies: SET, summary: 'remove stopped containers' },
  control: {
    kind: 'request',
    replies: EITHER,
    summary: "stage management (e.g. aggregate's add/remove/list)",
  },
};

/** Every verb's catalog entry, in wire-code order. */
export const VERB_CATALOG: readonly VerbInfo[] = VERBS.map((verb) => ({
  verb,
  code: VerbCode[verb],
  ...table[verb],
}));

const byCode = new Map(VERB_CATALOG.map((info) => [info.code, info.verb]));

/** The verb with wire code `code`, or `undefined` for an unknown code. */
export function verbByCode(code: number): Verb | undefined {
  return byCode.get(code);
}

/** The catalog entry of `verb`. */
export function verbInfo(verb: Verb): VerbInfo {
  return VERB_CATALOG[VerbCode[verb]] as VerbInfo;
}

/** True for the verbs that only answer requests (`ack`, `set`, `error`). */
export function isReplyVerb(verb: Verb): boolean {
  return table[verb].kind === 'reply';
}

/** The replies a request with `verb` may settle with (besides `error`). */
export function expectedReplies(verb: Verb): readonly Verb[] {
  return table[verb].replies;
}

/**
 * Checks a value that claims to be a {@link Message} (from a session or a program) and returns it
 * typed. Throws `SWARM_ERR_PROTOCOL` naming what is wrong: not an object, unknown verb, a `ret` that
 * is not a Sender.
 */
export function checkMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null) {
    throw new ProtocolError(`expected a message {verb, args}, got ${value === null ? 'null' : typeof value}`);
  }
  const m = value as { verb?: unknown; ret?: unknown };
  if (!isVerb(m.verb)) {
    throw new ProtocolError(`unknown verb ${JSON.stringify(m.verb)}; known: ${VERBS.join(', ')}`);
  }
  if (m.ret !== undefined && !isSender(m.ret)) {
    throw new ProtocolError(`message ${m.verb}: ret must be a channel, got ${typeof m.ret}`);
  }
  return value as Message;
}

/** An `error` reply for `code` with an HTTP status for Docker front ends. */
export function errorMessage(message: string, code: string, status?: number): Message<ErrorArgs> {
  const args: ErrorArgs = { message, code };
  if (status !== undefined) args.status = status;
  return { verb: 'error', args };
}

/** The `not implemented` reply every server sends for a verb it does not handle (status 501). */
export function notImplemented(verb: Verb, where = 'this stage'): Message<ErrorArgs> {
  return errorMessage(`verb ${verb} is not implemented by ${where}`, ErrorCode.NotImplemented, 501);
}

/** Typed `SWARM_ERR_UNEXPECTED_VERB` for a reply outside `expected`. */
export function unexpectedVerb(request: Verb, got: Verb, expected: readonly Verb[]): SwarmError {
  return new SwarmError(
    ErrorCode.UnexpectedVerb,
    `${request}: expected ${expected.join(' or ')}, got ${got}`,
    { details: { verb: request, got } },
  );
}
