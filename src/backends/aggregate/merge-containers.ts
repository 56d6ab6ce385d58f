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
  const owners = new Map<string, Set<string>>();
  const refs = new Map<string, number>();
  for (const { node, rows } of perNode) {
    for (const row of rows) {
      for (const name of row.Names ?? []) {
        const set = owners.get(name) ?? new Set<string>();
        set.add(node);
        owners.set(name, set);
        refs.set(name.replace(/^\//, ''), row.Created ?? 0);
      }
      refs.set(row.Id, row.Created ?? 0);
      refs.set(row.Id.slice(0, 12), row.Created ?? 0);
    }
  }
  const out: ContainerRow[] = [];
  for (const { node, rows, stale } of perNode) {
    if (stale && !q.all) continue;
    for (const row of rows) {
      if (!rowMatches(row, node, q, refs)) continue;
      const names = row.Names?.map((n) => ((owners.get(n)?.size ?? 0) > 1 ? `/${node}${n}` : n));
      out.push(
        stale
          ? { ...row, Names: names, Status: HOST_DOWN }
          : names === row.Names
            ? row
            : { ...row, Names: names },
      );
    }
  }
  out.sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0) || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0));
  return q.limit > 0 ? out.slice(0, q.limit) : out;
}
