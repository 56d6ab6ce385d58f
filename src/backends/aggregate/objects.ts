/**
 * Where each network and volume lives: the aggregate's directory of daemon-local objects, the
 * counterpart of the container directory. Kept current from each node's listing (on connect and on
 * every merged `ls`) and from its event stream; a down node's entries stay (reserved, shown as the
 * node's), so a name it held cannot be reused elsewhere until it is back and reconciled.
 *
 * Built-in networks (`bridge`, `host`, `none`) exist on every node and are never owned by one.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';

/** The kinds of object the directory tracks. */
export type ObjectKind = 'network' | 'volume';

/** One object as a node lists it. */
export interface ObjectEntry {
  name: string;
  /** Networks have ids; a volume's id is its name. */
  id?: string;
  /** The row the node listed, shown for the node while it is down. */
  row?: Record<string, unknown>;
}

/** Networks every daemon has: they follow the container, never the other way round. */
export const BUILTIN_NETWORKS: ReadonlySet<string> = new Set(['bridge', 'host', 'none', 'default']);

/** Where a reference points: the nodes holding it (several for a name repeated on nodes). */
export interface ObjectHit {
  nodes: string[];
  /** The reference with any `node/` prefix removed: what the node itself calls it. */
  ref: string;
}

/** The directory of one aggregate. */
export class ObjectDirectory {
  /** kind → node → entries by name. */
  readonly #by = new Map<ObjectKind, Map<string, Map<string, ObjectEntry>>>([
    ['network', new Map()],
    ['volume', new Map()],
  ]);
  /** Named volumes a create in flight is about to make implicitly (`run -v data:/d`): name → node. */
  readonly #pins = new Map<string, string>();

  /** Replaces everything known about `node`'s objects of `kind` with a fresh listing. */
  replace(kind: ObjectKind, node: string, entries: readonly ObjectEntry[]): void {
    this.#by.get(kind)?.set(node, new Map(entries.map((e) => [e.name, e])));
  }

  /** Records one object on a node (an event, or a create through the aggregate). */
  add(kind: ObjectKind, node: string, entry: ObjectEntry): void {
    const m = this.#by.get(kind) as Map<string, Map<string, ObjectEntry>>;
    const entries = m.get(node) ?? new Map<string, ObjectEntry>();
    entries.set(entry.name, entry);
    m.set(node, entries);
    if (kind === 'volume') this.#pins.delete(entry.name);
  }

  /** Forgets an object of a node, by name or id. */
  remove(kind: ObjectKind, node: string, ref: string): void {
    const entries = this.#by.get(kind)?.get(node);
    if (!entries) return;
    for (const [name, e] of entries) if (name === ref || e.id === ref) entries.delete(name);
  }

  /** Forgets a node (removed from the aggregate). */
  removeNode(node: string): void {
    for (const m of this.#by.values()) m.delete(node);
    for (const [name, n] of this.#pins) if (n === node) this.#pins.delete(name);
  }

  /** Every object of `kind` per node. */
  entries(kind: ObjectKind): ReadonlyMap<string, ReadonlyMap<string, ObjectEntry>> {
    return this.#by.get(kind) as Map<string, Map<string, ObjectEntry>>;
  }

  /**
   * The nodes holding `ref` (`node/name`, a name, a full id or a unique id prefix); empty when none
   * knows it. `nodes` limits a `node/` prefix to real node names.
   */
  lookup(kind: ObjectKind, ref: string, nodes: readonly string[]): ObjectHit {
    const slash = ref.indexOf('/');
    if (slash > 0 && nodes.includes(ref.slice(0, slash))) {
      const node = ref.slice(0, slash);
      const rest = ref.slice(slash + 1);
      return {
        nodes: this.#holders(kind, rest, [node]).length || isBuiltin(kind, rest) ? [node] : [],
        ref: rest,
      };
    }
    if (isBuiltin(kind, ref)) return { nodes: [...nodes], ref };
    const held = this.#holders(kind, ref, nodes);
    if (held.length === 0 && kind === 'volume') {
      const pinned = this.#pins.get(ref);
      if (pinned) return { nodes: [pinned], ref };
    }
    return { nodes: held, ref };
  }

  #holders(kind: ObjectKind, ref: string, nodes: readonly string[]): string[] {
    const m = this.#by.get(kind) as Map<string, Map<string, ObjectEntry>>;
    const byName: string[] = [];
    const byId: string[] = [];
    const byPrefix: string[] = [];
    for (const node of nodes) {
      const entries = m.get(node);
      if (!entries) continue;
      if (entries.has(ref)) {
        byName.push(node);
        continue;
      }
      for (const e of entries.values()) {
        if (e.id === ref) byId.push(node);
        else if (e.id && ref.length >= 1 && /^[0-9a-f]+$/.test(ref) && e.id.startsWith(ref))
          byPrefix.push(node);
      }
    }
    // dockerd's own order: full id, then name, then id prefix.
    return byId.length ? byId : byName.length ? byName : byPrefix;
  }

  /**
   * Pins a named volume that a container create is about to make implicitly to `node`, so a second
   * create mounting it while the first is in flight goes to the same node. Returns the release to call
   * when the create failed (the volume was then not made).
   */
  pin(name: string, node: string): () => void {
    if (this.#pins.has(name)) return () => {};
    this.#pins.set(name, node);
    return () => {
      if (this.#pins.get(name) === node) this.#pins.delete(name);
    };
  }
}

/** True for the networks every daemon has. */
export function isBuiltin(kind: ObjectKind, name: string): boolean {
  return kind === 'network' && BUILTIN_NETWORKS.has(name);
}

/**
 * The one node of a hit, or a 404 (none) / 400 (several: a name repeated on nodes needs its `node/`
 * prefix, as classic Swarm showed it).
 */
export function oneHolder(kind: ObjectKind, ref: string, hit: ObjectHit): string {
  const [first, second] = hit.nodes;
  if (first === undefined)
    throw new SwarmError(ErrorCode.NotFound, `No such ${kind}: ${ref}`, { details: { status: 404 } });
  if (second !== undefined) {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `${kind} ${ref} exists on several nodes (${hit.nodes.join(', ')}): name one as node/${hit.ref}`,
      { details: { status: 400 } },
    );
  }
  return first;
}
