/**
 * `docker ps` across nodes: the per-node lists merged newest first, filtered, limited, with names kept
 * unique cluster-wide and rows of unreachable nodes marked.
 * @module
 */
import { type ContainerRow, type ListQuery, rowFilter } from './filters.js';

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
 * Merges per-node container lists into one `docker ps` answer, newest first. Rows created in the same
 * second keep their node's own order (dockerd orders those by the exact creation time, which the
 * list's whole seconds hide), and between nodes the earlier node's come first. A name present on two
 * nodes (possible only for containers created behind the aggregate's back) is shown as
 * `/<node>/<name>` on both so every name in the listing stays unique and routable.
 *
 * Cost: each child already answers newest first, so the lists are merged (k-way, on a heap of list
 * heads) instead of sorted, a limit stops the merge early, and rows that need no change are passed on
 * as they are, not copied.
 */
export function mergeContainerLists(perNode: readonly NodeRows[], q: ListQuery): ContainerRow[] {
  const dups = duplicateNames(perNode);
  const refs = 'before' in q.filters || 'since' in q.filters ? referenceTimes(perNode) : EMPTY;
  const keep = rowFilter(q, refs);
  const runs: ContainerRow[][] = [];
  for (const { node, rows, stale } of perNode) {
    if (stale && !q.all) continue;
    const kept = stale || dups.size > 0 || keep ? rewrite(rows, node, stale === true, dups, keep) : rows;
    if (kept.length > 0) runs.push(newestFirst(kept));
  }
  return mergeRuns(runs, q.limit > 0 ? q.limit : Number.POSITIVE_INFINITY);
}

/** The rows of one node that pass `keep`, renamed where a name is duplicated, marked when stale. */
function rewrite(
  rows: readonly ContainerRow[],
  node: string,
  stale: boolean,
  dups: ReadonlySet<string>,
  keep: ((row: ContainerRow, node: string) => boolean) | undefined,
): ContainerRow[] {
  const out: ContainerRow[] = [];
  for (const row of rows) {
    if (keep && !keep(row, node)) continue;
    const dup = dups.size > 0 && row.Names?.some((n) => dups.has(n));
    const names = dup ? row.Names?.map((n) => (dups.has(n) ? `/${node}${n}` : n)) : row.Names;
    out.push(stale ? { ...row, Names: names, Status: HOST_DOWN } : dup ? { ...row, Names: names } : row);
  }
  return out;
}

/** Names held by containers on more than one node. */
function duplicateNames(perNode: readonly NodeRows[]): Set<string> {
  const dups = new Set<string>();
  if (perNode.length < 2) return dups;
  const owner = new Map<string, string>();
  for (const { node, rows } of perNode) {
    for (const row of rows) {
      for (const name of row.Names ?? []) {
        const seen = owner.get(name);
        if (seen === undefined) owner.set(name, node);
        else if (seen !== node) dups.add(name);
      }
    }
  }
  return dups;
}

const created = (r: ContainerRow) => r.Created ?? 0;

/** `rows` if already newest first (every dockerd and the simulator answer so), else a sorted copy. */
function newestFirst(rows: ContainerRow[]): ContainerRow[] {
  for (let i = 1; i < rows.length; i++) {
    if (created(rows[i] as ContainerRow) > created(rows[i - 1] as ContainerRow)) {
      return [...rows].sort((a, b) => created(b) - created(a)); // stable: ties keep the node's order
    }
  }
  return rows;
}

/**
 * Merges newest-first runs into one, taking at most `limit` rows. A binary heap of run heads ordered by
 * (Created descending, run index ascending), so equal times come out in run order, then position.
 */
function mergeRuns(runs: ContainerRow[][], limit: number): ContainerRow[] {
  if (runs.length === 1)
    return limit < (runs[0] as ContainerRow[]).length
      ? (runs[0] as ContainerRow[]).slice(0, limit)
      : (runs[0] as ContainerRow[]);
  const pos = new Array<number>(runs.length).fill(0);
  const heap = runs.map((_, i) => i);
  const head = (r: number) => created((runs[r] as ContainerRow[])[pos[r] as number] as ContainerRow);
  const before = (a: number, b: number) => {
    const d = head(a) - head(b);
    return d > 0 || (d === 0 && a < b);
  };
  const down = (from: number) => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && before(heap[l] as number, heap[top] as number)) top = l;
      if (r < heap.length && before(heap[r] as number, heap[top] as number)) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top] as number, heap[i] as number];
      i = top;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  const out: ContainerRow[] = [];
  while (heap.length > 0 && out.length < limit) {
    const r = heap[0] as number;
    const run = runs[r] as ContainerRow[];
    out.push(run[pos[r] as number] as ContainerRow);
    pos[r] = (pos[r] as number) + 1;
    if ((pos[r] as number) >= run.length) {
      const last = heap.pop() as number;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    down(0);
  }
  return out;
}

const EMPTY = new Map<string, number>();

/** Creation times by name, full id and short id, for `before` / `since`. */
function referenceTimes(perNode: readonly NodeRows[]): Map<string, number> {
  const refs = new Map<string, number>();
  for (const { rows } of perNode) {
    for (const row of rows) {
      const c = created(row);
      for (const name of row.Names ?? []) refs.set(name.replace(/^\//, ''), c);
      refs.set(row.Id, c);
      refs.set(row.Id.slice(0, 12), c);
    }
  }
  return refs;
}
