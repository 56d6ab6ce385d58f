/**
 * `docker events` across nodes: each node's event stream is split into JSON objects, each labelled
 * with its node (as classic Swarm did: `node.name` attribute and a legacy `node` object), and written
 * to one merged stream. The aggregate adds `engine_connect` / `engine_disconnect` events of its own.
 * @module
 */

/** A Docker event; only the fields the aggregate touches are typed. */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  status?: string;
  time?: number;
  timeNano?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  [field: string]: unknown;
}

/** Adds the owning node to an event, without mutating the input. */
export function labelEvent(event: DockerEvent, node: string): DockerEvent {
  const actor = event.Actor ?? {};
  return {
    ...event,
    Actor: { ...actor, Attributes: { ...(actor.Attributes ?? {}), 'node.name': node } },
    node: { Name: node },
  };
}

/** An event the aggregate emits when a node changes state (`engine_connect`, `engine_disconnect`). */
export function nodeEvent(
  action: 'engine_connect' | 'engine_disconnect',
  node: string,
  nowMs: number,
): DockerEvent {
  return labelEvent(
    {
      Type: 'node',
      Action: action,
      status: action,
      Actor: { ID: node, Attributes: { name: node } },
      scope: 'local',
      time: Math.floor(nowMs / 1000),
      timeNano: Math.floor(nowMs * 1e6),
    },
    node,
  );
}

/**
 * Splits a byte stream of concatenated JSON objects (dockerd writes one per line) into objects.
 * Feed chunks with `push`; it returns the complete objects seen so far. Undecodable lines are dropped.
 */
export class JsonLineSplitter {
  #buf = '';

  /** Adds a chunk; returns the events completed by it. */
  push(chunk: Buffer | string): DockerEvent[] {
    this.#buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    const out: DockerEvent[] = [];
    let nl = this.#buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.#buf.slice(0, nl).trim();
      this.#buf = this.#buf.slice(nl + 1);
      if (line) {
        try {
          out.push(JSON.parse(line) as DockerEvent);
        } catch {
          // A partial or foreign line must not kill the merged stream.
        }
      }
      nl = this.#buf.indexOf('\n');
    }
    return out;
  }
}
