/**
 * The engine's event bus: dockerd-shaped events (`{status,id,from,Type,Action,Actor,scope,time,
 * timeNano}`), the last 256 kept for `since` (dockerd's in-memory limit), and `GET /events` streams
 * with since/until/filters. No timers unless a subscriber asked for a future `until`.
 * @module
 */
import { PassThrough } from 'node:stream';
import type { TimerHandle } from '../../clock.js';
import type { SimContainer } from './container.js';
import { badRequest } from './engine-errors.js';
import { exactMatch, type Filters, fuzzyMatch, labelMatch, parseFilters } from './filters.js';
import { normalizeRef } from './images.js';
import { parseTimestamp, unixNanos, unixSeconds, type WallClock } from './time.js';

/** One event as dockerd 20.10 sends it. */
export interface DockerEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: 'container' | 'image' | 'network' | 'volume' | 'daemon';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** Events kept for replay (dockerd keeps 256). */
export const EVENT_HISTORY = 256;

/** A container event with dockerd's attributes: the container's labels, image, name, plus `extra`. */
export function containerEvent(
  c: SimContainer,
  action: string,
  now: number,
  extra: Record<string, string> = {},
): DockerEvent {
  return {
    status: action,
    id: c.id,
    from: c.config.Image,
    Type: 'container',
    Action: action,
    Actor: { ID: c.id, Attributes: { ...c.config.Labels, image: c.config.Image, name: c.name, ...extra } },
    scope: 'local',
    time: unixSeconds(now),
    timeNano: unixNanos(now),
  };
}

/** An image event (`pull`). */
export function imageEvent(ref: string, action: string, now: number): DockerEvent {
  const name = ref.slice(0, ref.lastIndexOf(':'));
  return {
    status: action,
    id: ref,
    Type: 'image',
    Action: action,
    Actor: { ID: ref, Attributes: { name } },
    scope: 'local',
    time: unixSeconds(now),
    timeNano: unixNanos(now),
  };
}

/** A network or volume event (`create`, `destroy`, `connect`, `disconnect`, `mount`…). */
export function objectEvent(
  type: 'network' | 'volume',
  id: string,
  action: string,
  attributes: Record<string, string>,
  now: number,
): DockerEvent {
  return {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local',
    time: unixSeconds(now),
    timeNano: unixNanos(now),
  };
}

/** An image event with an image id as its actor (`tag`, `untag`, `delete`, `save`, `load`). */
export function imageIdEvent(id: string, name: string, action: string, now: number): DockerEvent {
  return {
    status: action,
    id,
    Type: 'image',
    Action: action,
    Actor: { ID: id, Attributes: { name } },
    scope: 'local',
    time: unixSeconds(now),
    timeNano: unixNanos(now),
  };
}

/** dockerd's events filter (daemon/events/filter.go) for the keys the simulator produces. */
export function eventMatches(f: Filters, e: DockerEvent): boolean {
  if (
    !exactMatch(f, 'event', e.Action) ||
    !exactMatch(f, 'type', e.Type) ||
    !exactMatch(f, 'scope', e.scope)
  ) {
    return false;
  }
  const name = e.Actor.Attributes.name ?? '';
  if (f.has('container')) {
    if (e.Type !== 'container') return false;
    if (!fuzzyMatch(f, 'container', e.Actor.ID) && !fuzzyMatch(f, 'container', name)) return false;
  }
  const images = f.get('image');
  if (images) {
    const image = e.Type === 'image' ? e.Actor.ID : (e.Actor.Attributes.image ?? '');
    if (!images.some((i) => i === image || normalizeRef(i) === normalizeRef(image))) return false;
  }
  return labelMatch(f, 'label', e.Actor.Attributes);
}

type Subscriber = (e: DockerEvent) => void;

/** One engine's events. */
export class EventBus {
  readonly #history: DockerEvent[] = [];
  readonly #subscribers = new Set<Subscriber>();

  /** Number of open event streams. */
  get subscribers(): number {
    return this.#subscribers.size;
  }

  /** Records and broadcasts an event. */
  emit(e: DockerEvent): void {
    this.#history.push(e);
    if (this.#history.length > EVENT_HISTORY) this.#history.shift();
    for (const s of this.#subscribers) s(e);
  }

  /**
   * Opens a `GET /events` stream: replays kept events in [since, until], then follows live ones
   * until `until` (or forever). Bad since/until/filters → 400 before anything is opened.
   */
  open(query: Record<string, string>, wall: WallClock): PassThrough {
    const filters = parseFilters(query.filters);
    const since = timestamp(query.since, 'since');
    const until = timestamp(query.until, 'until');
    const out = new PassThrough();
    const untilNano = until === undefined ? Number.POSITIVE_INFINITY : unixNanos(until);
    const write = (e: DockerEvent) => {
      if (e.timeNano <= untilNano && eventMatches(filters, e)) out.write(`${JSON.stringify(e)}\n`);
    };
    if (since !== undefined) {
      const sinceNano = unixNanos(since);
      for (const e of this.#history) if (e.timeNano >= sinceNano) write(e);
    }
    const now = wall.now();
    if (until !== undefined && until <= now) {
      out.end();
      return out;
    }
    this.#subscribers.add(write);
    let timer: TimerHandle | undefined;
    if (until !== undefined) timer = wall.clock.setTimeout(() => out.end(), until - now);
    const cleanup = () => {
      this.#subscribers.delete(write);
      if (timer) wall.clock.clearTimeout(timer);
      timer = undefined;
    };
    out.once('close', cleanup);
    out.once('finish', cleanup);
    return out;
  }
}

function timestamp(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = parseTimestamp(value);
  if (ms === undefined) throw badRequest(`invalid value for ${name}: ${value}`);
  return ms;
}
