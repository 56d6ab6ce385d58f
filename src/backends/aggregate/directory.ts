/**
 * Which node owns which container and exec: the aggregate's routing table. Lookups follow classic
 * Swarm's order (full id, name, `node/name`, unique id prefix); an ambiguous prefix is an error, never a
 * guess. Name reservations make cluster-wide unique names race-free: a create reserves its name
 * synchronously before anything is forwarded, so of N parallel creates of one name exactly one proceeds.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';

/** Where a container lives. */
export interface Owner {
  node: string;
  id: string;
}

/** A container as the directory records it. */
export interface DirectoryEntry {
  id: string;
  /** Names with or without the leading `/`. */
  names: readonly string[];
}

/** The routing table. One per aggregate stage. */
export class ContainerDirectory {
  #byId = new Map<string, Owner & { names: string[] }>();
  #byName = new Map<string, Owner[]>();
  /** Ids per node, so replacing one node's listing costs its own size, not the cluster's. */
  #byNode = new Map<string, Set<string>>();
  #reserved = new Set<string>();
  #execs = new Map<string, string>();
  /** Per node, bumped on every change to its entries: lets a caller skip re-indexing unchanged rows. */
  #changes = new Map<string, number>();

  /** Number of known containers. */
  get size(): number {
    return this.#byId.size;
  }

  /** A number that changes whenever `node`'s entries change (compare two readings, never order them). */
  changesOf(node: string): number {
    return this.#changes.get(node) ?? 0;
  }

  #bump(node: string): void {
    this.#changes.set(node, (this.#changes.get(node) ?? 0) + 1);
  }

  /** Replaces everything known about `node` with a fresh listing of it. */
  replaceNode(node: string, entries: readonly DirectoryEntry[]): void {
    this.removeNode(node);
    for (const e of entries) this.add(node, e.id, e.names);
  }

  /** Records one container. */
  add(node: string, id: string, names: readonly string[] = []): void {
    this.remove(id);
    this.#bump(node);
    const clean = names.map(stripSlash);
    this.#byId.set(id, { node, id, names: clean });
    const ids = this.#byNode.get(node) ?? new Set<string>();
    ids.add(id);
    this.#byNode.set(node, ids);
    for (const n of clean) {
      const list = this.#byName.get(n) ?? [];
      list.push({ node, id });
      this.#byName.set(n, list);
    }
  }

  /** Forgets one container (after rm, or when a listing no longer has it). */
  remove(id: string): void {
    const e = this.#byId.get(id);
    if (!e) return;
    this.#bump(e.node);
    this.#byId.delete(id);
    this.#byNode.get(e.node)?.delete(id);
    for (const n of e.names) {
      const rest = (this.#byName.get(n) ?? []).filter((o) => o.id !== id);
      if (rest.length) this.#byName.set(n, rest);
      else this.#byName.delete(n);
    }
  }

  /** Forgets a node's containers and execs (node removed). */
  removeNode(node: string): void {
    for (const id of [...(this.#byNode.get(node) ?? [])]) this.remove(id);
    this.#byNode.delete(node);
    this.#bump(node);
    for (const [exec, n] of this.#execs) if (n === node) this.#execs.delete(exec);
  }

  /** Renames a container in place (after a successful rename on its node). */
  rename(id: string, newName: string): void {
    const e = this.#byId.get(id);
    if (e) this.add(e.node, id, [newName]);
  }

  /**
   * Finds the owner of `ref` (full id, `name`, `/name`, `node/name`, or unique id prefix). Returns
   * `undefined` when nothing matches; throws `SWARM_ERR_INVALID_ARGUMENT` (HTTP 400) when a name or
   * prefix matches containers on several nodes.
   */
  resolve(ref: string): Owner | undefined {
    const full = this.#byId.get(ref);
    if (full) return { node: full.node, id: full.id };
    const name = stripSlash(ref);
    const named = this.#byName.get(name);
    if (named && named.length === 1) return named[0];
    if (named && named.length > 1) throw ambiguous(ref, named);
    const slash = name.indexOf('/');
    if (slash > 0) {
      const node = name.slice(0, slash);
      const hit = this.#byName.get(name.slice(slash + 1))?.find((o) => o.node === node);
      if (hit) return hit;
    }
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches: Owner[] = [];
    for (const e of this.#byId.values()) if (e.id.startsWith(ref)) matches.push({ node: e.node, id: e.id });
    if (matches.length > 1) throw ambiguous(ref, matches);
    return matches[0];
  }

  /** True when a container has the name, or a create holds a reservation for it. */
  isNameTaken(name: string): boolean {
    const n = stripSlash(name);
    return this.#reserved.has(n) || this.#byName.has(n);
  }

  /**
   * Reserves `name` for a create in flight. Throws `SWARM_ERR_CONFLICT` (HTTP 409, docker's wording)
   * when taken. Call the returned function once the create finished, successfully or not.
   */
  reserveName(name: string): () => void {
    const n = stripSlash(name);
    if (this.isNameTaken(n)) {
      const by = this.#byName.get(n)?.[0];
      throw new SwarmError(
        ErrorCode.Conflict,
        `Conflict. The container name "/${n}" is already in use${by ? ` by container "${by.id}" on node ${by.node}` : ' by a create in progress'}. You have to remove (or rename) that container to be able to reuse that name.`,
        { details: { name: n, status: 409 } },
      );
    }
    this.#reserved.add(n);
    let released = false;
    return () => {
      if (!released) this.#reserved.delete(n);
      released = true;
    };
  }

  /** Records which node made an exec instance, so `/exec/{id}/*` can be routed. */
  rememberExec(execId: string, node: string): void {
    this.#execs.set(execId, node);
  }

  /** The node that owns an exec instance. */
  execNode(execId: string): string | undefined {
    return this.#execs.get(execId);
  }

  /** Every known container of a node. */
  containersOf(node: string): Owner[] {
    return [...this.#byId.values()]
      .filter((e) => e.node === node)
      .map(({ node: n, id }) => ({ node: n, id }));
  }
}

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

function ambiguous(ref: string, owners: readonly Owner[]): SwarmError {
  const where = owners.map((o) => `${o.id.slice(0, 12)} on ${o.node}`).join(', ');
  return new SwarmError(ErrorCode.InvalidArgument, `multiple containers match "${ref}": ${where}`, {
    details: { ref, status: 400 },
  });
}
