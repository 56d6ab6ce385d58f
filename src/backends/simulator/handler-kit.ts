/**
 * What every handler table of the simulator shares: the handler type and the small reply helpers.
 * @module
 */
import type { Message } from '../../actors/message.js';
import { type DockerArgs, type DockerOp, replySet } from '../docker/api.js';
import type { Engine } from './engine.js';

/** Answers one op against the engine; throws EngineErrors (handleDocker turns them into replies). */
export type Handler = (engine: Engine, m: Message<DockerArgs>, a: DockerArgs) => void | Promise<void>;

/** A table of handlers by op. */
export type HandlerTable = Partial<Record<DockerOp, Handler>>;

/** JSON answers' headers. */
export const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** Answers a complete result (a JSON value, or nothing). */
export const ok = (m: Message, body?: unknown, status = 200): void =>
  replySet(m, body === undefined ? { status } : { status, body });

/** The `{id}` path parameter ('' when absent). */
export const id = (a: DockerArgs): string => a.id ?? '';

/** Every value of a query key (a key sent more than once keeps all, DockerArgs.repeated). */
export function queryAll(a: DockerArgs, key: string): string[] {
  const all = a.repeated?.[key];
  if (all) return all;
  const one = a.query[key];
  return one === undefined ? [] : [one];
}
