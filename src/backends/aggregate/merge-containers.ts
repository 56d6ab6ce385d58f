/**
 * `docker ps` across nodes: the per-node lists merged, filtered, sorted newest first, limited, with
 * names kept unique cluster-wide and rows of unreachable nodes marked.
 * @module
 */
import { type ContainerRow, type ListQuery, rowMatches } from './filters.js';

/** One node's answer to a container list. */
export interface NodeRows {
  node: string;
  rows: ContainerRow[];
  /**
   * The node did not answer; `rows` are its last known rows. They are shown (with `-a`) with the
   * status `Host Down`, as classic Swarm did, so a user sees what is unreachable.
   */
  stale?: boolean;
}

/** The status shown for containers of a node that did not answer. */
export const HOST_DOWN = 'Host Down';

/**
 * Merges per-node container lists into one `docker ps` answer. A name present on two nodes (possible
 * only for containers created behind the aggregate's back) is shown as `/<node>/<name>` on both so
 * every name in the listing stays unique and routable.
 */
export function mergeContainerLists(perNode: readonly NodeRows[], q: ListQuery): ContainerRow[] {
  // name → owning node, or DUPLICATE when two nodes have it. One string per name keeps 10k rows cheap.
  const owners = new Map<string, string>();
  for (const { node, rows } of perNode) {
    for (const row of rows) {
      for (const name of row.Names ?? []) {
        const seen = owners.get(name);
        owners.set(name, seen === undefined || seen === node ? node : DUPLICATE);
      }
    }
  }
  const refs = 'before' in q.filters || 'since' in q.filters ? referenceTimes(perNode) : EMPTY;
  const out: ContainerRow[] = [];
  for (const { node, rows, stale } of perNode) {
    if (stale && !q.all) continue;
    for (const row of rows) {
      if (!rowMatches(row, node, q, refs)) continue;
      const dup = row.Names?.some((n) => owners.get(n) === DUPLICATE);
      const names = dup
        ? row.Names?.map((n) => (owners.get(n) === DUPLICATE ? `/${node}${n}` : n))
        : row.Names;
      out.push(stale ? { ...row, Names: names, Status: HOST_DOWN } : dup ? { ...row, Names: names } : row);
    }
  }
  out.sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0) || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  return q.limit > 0 ? out.slice(0, q.limit) : out;
}

const DUPLICATE = '\0dup';
const EMPTY = new Map<string, number>();

/** Creation times by name, full id and short id, for `before` / `since`. */
function referenceTimes(perNode: readonly NodeRows[]): Map<string, number> {
  const refs = new Map<string, number>();
  for (const { rows } of perNode) {
    for (const row of rows) {
      const created = row.Created ?? 0;
      for (const name of row.Names ?? []) refs.set(name.replace(/^\//, ''), created);
      refs.set(row.Id, created);
      refs.set(row.Id.slice(0, 12), created);
    }
  }
  return refs;
}
