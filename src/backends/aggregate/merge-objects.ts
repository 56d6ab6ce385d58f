/**
 * `docker network ls`, `docker volume ls`, `docker system df` and every prune across nodes, as pure
 * functions over what each node answered. A name held on more than one node is written `node/name` on
 * each (classic Swarm's form, which the aggregate also routes); built-in networks are shown once; the
 * rows of a node that did not answer are its last known ones, labelled `Host Down`.
 * @module
 */
import { HOST_DOWN } from './merge-containers.js';
import { type ImageRow, mergeImageLists, nodeTagRepeats } from './merge-system.js';
import { BUILTIN_NETWORKS } from './objects.js';

/** A listed network or volume. */
export type ObjectRow = Record<string, unknown> & { Name?: string };

/** One node's rows; `stale` when they are the last known ones of a node that did not answer. */
export interface NodeObjects {
  node: string;
  rows: ObjectRow[];
  stale?: boolean;
}

/** The label a down node's objects carry in a merged list. */
export const NODE_STATE_LABEL = 'com.docker.swarm.node.state';

/** Names listed by more than one node (built-in networks excepted when `builtins`). */
function repeated(perNode: readonly NodeObjects[], builtins: boolean): Set<string> {
  const first = new Map<string, string>();
  const dups = new Set<string>();
  for (const { node, rows } of perNode) {
    for (const r of rows) {
      const name = r.Name ?? '';
      if (builtins && BUILTIN_NETWORKS.has(name)) continue;
      const seen = first.get(name);
      if (seen === undefined) first.set(name, node);
      else if (seen !== node) dups.add(name);
    }
  }
  return dups;
}

/** Merged rows: `node/name` where a name repeats, built-in networks once, down nodes' rows labelled. */
export function mergeObjectRows(perNode: readonly NodeObjects[], kind: 'network' | 'volume'): ObjectRow[] {
  const builtins = kind === 'network';
  const dups = repeated(perNode, builtins);
  const shownBuiltin = new Set<string>();
  const out: ObjectRow[] = [];
  for (const { node, rows, stale } of perNode) {
    for (const r of rows) {
      const name = r.Name ?? '';
      if (builtins && BUILTIN_NETWORKS.has(name)) {
        if (stale || shownBuiltin.has(name)) continue;
        shownBuiltin.add(name);
        out.push(r);
        continue;
      }
      let row = dups.has(name) ? { ...r, Name: `${node}/${name}` } : r;
      if (stale) {
        const labels = (row.Labels as Record<string, string> | null | undefined) ?? {};
        row = { ...row, Labels: { ...labels, [NODE_STATE_LABEL]: HOST_DOWN, 'com.docker.swarm.node': node } };
      }
      out.push(row);
    }
  }
  return out;
}

/** A `/system/df` body. */
export interface DiskUsage {
  LayersSize?: number;
  Images?: ImageRow[] | null;
  Containers?: ObjectRow[] | null;
  Volumes?: ObjectRow[] | null;
  BuildCache?: ObjectRow[] | null;
  [field: string]: unknown;
}

/** `/system/df` over nodes: sizes summed, images grouped by id, containers, volumes and caches listed. */
export function mergeDiskUsage(perNode: readonly { node: string; body: DiskUsage }[]): DiskUsage {
  let layers = 0;
  const containers: ObjectRow[] = [];
  const cache: ObjectRow[] = [];
  for (const { body } of perNode) {
    layers += typeof body.LayersSize === 'number' ? body.LayersSize : 0;
    containers.push(...(body.Containers ?? []));
    cache.push(...(body.BuildCache ?? []));
  }
  return {
    LayersSize: layers,
    Images: mergeImageLists(
      nodeTagRepeats(perNode.map(({ node, body }) => ({ node, rows: body.Images ?? [] }))),
    ),
    Containers: containers,
    Volumes: mergeObjectRows(
      perNode.map(({ node, body }) => ({ node, rows: body.Volumes ?? [] })),
      'volume',
    ),
    BuildCache: cache,
  };
}

/**
 * Prune reports summed over nodes: lists (`NetworksDeleted`, `VolumesDeleted`, `ImagesDeleted`,
 * `CachesDeleted`) concatenated, numbers (`SpaceReclaimed`) added.
 */
export function mergePruneReports(bodies: readonly Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const b of bodies) {
    for (const [k, v] of Object.entries(b ?? {})) {
      if (Array.isArray(v)) out[k] = [...((out[k] as unknown[] | undefined) ?? []), ...v];
      else if (typeof v === 'number') out[k] = ((out[k] as number | undefined) ?? 0) + v;
      else if (!(k in out)) out[k] = v;
    }
  }
  return out;
}
