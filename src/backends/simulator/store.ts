/**
 * The engine's containers indexed by id and name, resolved the way dockerd resolves `{id}`: full id,
 * then name (with or without the leading slash), then a unique id prefix.
 * @module
 */
import type { SimContainer } from './container.js';
import { EngineError, noSuchContainer } from './engine-errors.js';

/** Containers of one engine. */
export class ContainerStore {
  readonly #byId = new Map<string, SimContainer>();
  readonly #byName = new Map<string, SimContainer>();

  /** How many containers exist. */
  get size(): number {
    return this.#byId.size;
  }

  /** Every container, newest first (dockerd's list order). */
  newestFirst(): SimContainer[] {
    return [...this.#byId.values()].reverse();
  }

  /** The container holding `name` (without slash), if any. */
  byName(name: string): SimContainer | undefined {
    return this.#byName.get(name);
  }

  /** Adds a container; the caller checked its name is free. */
  add(c: SimContainer): void {
    this.#byId.set(c.id, c);
    this.#byName.set(c.name, c);
  }

  /** Forgets a container. */
  delete(c: SimContainer): void {
    this.#byId.delete(c.id);
    if (this.#byName.get(c.name) === c) this.#byName.delete(c.name);
  }

  /** Moves a container to a new (free) name. */
  rename(c: SimContainer, name: string): void {
    if (this.#byName.get(c.name) === c) this.#byName.delete(c.name);
    c.name = name;
    this.#byName.set(name, c);
  }

  /** Resolves `ref` or undefined when nothing matches; throws on an ambiguous id prefix. */
  find(ref: string): SimContainer | undefined {
    const exact = this.#byId.get(ref);
    if (exact) return exact;
    const named = this.#byName.get(ref.startsWith('/') ? ref.slice(1) : ref);
    if (named) return named;
    if (ref === '' || !/^[0-9a-f]+$/.test(ref)) return undefined;
    let found: SimContainer | undefined;
    for (const c of this.#byId.values()) {
      if (!c.id.startsWith(ref)) continue;
      // dockerd (truncindex) answers an ambiguous prefix with a 500 and this text.
      if (found) throw new EngineError(500, `Multiple IDs found with provided prefix: ${ref}`);
      found = c;
    }
    return found;
  }

  /** Resolves `ref` or throws dockerd's `404 No such container: <ref>`. */
  get(ref: string): SimContainer {
    const c = this.find(ref);
    if (!c) throw noSuchContainer(ref);
    return c;
  }
}
