/**
 * What each node holds in images, as the aggregate last saw it: `docker images` merged over nodes, each
 * node's last full listing kept (from listings, and listed again when the node reconnects or reports an
 * image event), so that a node that stops answering keeps its images visible and reserved, as its
 * containers, networks and volumes are. A down node's images that no answering node holds are listed
 * `node/repo:tag` with the labels `com.docker.swarm.node.state=Host Down` and `com.docker.swarm.node`;
 * a call for an image only a down node holds fails naming that node (503) instead of "No such image"
 * (404), which would send the docker CLI off to pull it from a registry.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import { holdsImage } from './images.js';
import { HOST_DOWN } from './merge-containers.js';
import { NODE_STATE_LABEL } from './merge-objects.js';
import { type ImageRow, mergeImageLists, nodeTagRepeats } from './merge-system.js';
import type { AggregateNode } from './node.js';
import { withWarnings } from './views.js';

/** True for a listing query whose answer is the node's whole default `docker images` (no filter, no `-a`). */
function isFullListing(query: DockerArgs['query']): boolean {
  const filters = query.filters;
  const all = query.all;
  return (!filters || filters === '{}') && (!all || all === '0' || all === 'false');
}

/** `GET /images/json` across nodes: grouped by id; a node that does not answer shows its last images. */
export async function listImages(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const results = await cluster.fanOut('ls', () => ({ op: 'image.list', query: args.query }));
  const full = isFullListing(args.query);
  const answered: { node: string; rows: ImageRow[] }[] = [];
  const silent: AggregateNode[] = [];
  for (const r of results) {
    if ('result' in r && r.result.status === 200 && Array.isArray(r.result.body)) {
      const rows = r.result.body as ImageRow[];
      answered.push({ node: r.node.name, rows });
      if (full) r.node.images = rows;
    } else silent.push(r.node);
  }
  const merged = mergeImageLists(nodeTagRepeats(answered));
  // A filtered listing shows only what the nodes matched: a down node's rows cannot be filtered here.
  const stale = full ? staleRows(silent, new Set(merged.map((r) => r.Id))) : [];
  const body = stale.length
    ? [...merged, ...stale].sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0))
    : merged;
  return withWarnings({ status: 200, body }, results);
}

/** The last images of nodes that did not answer, those no answering node holds, marked as the node's. */
function staleRows(nodes: readonly AggregateNode[], shown: Set<string>): ImageRow[] {
  const out: ImageRow[] = [];
  for (const node of nodes) {
    for (const row of node.images) {
      if (shown.has(row.Id)) continue;
      shown.add(row.Id);
      const labels = (row.Labels as Record<string, string> | null | undefined) ?? {};
      out.push({
        ...row,
        RepoTags: row.RepoTags?.map((t) => (t === '<none>:<none>' ? t : `${node.name}/${t}`)) ?? row.RepoTags,
        Labels: { ...labels, [NODE_STATE_LABEL]: HOST_DOWN, 'com.docker.swarm.node': node.name },
      });
    }
  }
  return out;
}

/** Lists the images of `nodes` again and keeps each answer as the node's last listing. */
export async function relistImages(cluster: Cluster, nodes: AggregateNode[]): Promise<void> {
  const results = await cluster.fanOut('ls', () => ({ op: 'image.list', query: {} }), nodes);
  for (const r of results)
    if ('result' in r && r.result.status === 200 && Array.isArray(r.result.body))
      r.node.images = r.result.body as ImageRow[];
}

/** True when `row` is the image `ref` (a tag, a digest, an id or an id prefix). */
function rowIs(row: ImageRow, ref: string): boolean {
  return holdsImage([row.Id, ...(row.RepoTags ?? []), ...(row.RepoDigests ?? [])], ref);
}

/** The nodes that are not healthy whose last listing holds `ref`. */
export function unhealthyHolders(cluster: Cluster, ref: string): AggregateNode[] {
  return cluster.nodes.filter((n) => n.health !== 'healthy' && n.images.some((row) => rowIs(row, ref)));
}

/**
 * The error for an image no answering node holds: 503 naming the node(s) that last reported it when
 * they do not answer now (the image is theirs, reserved), else dockerd's 404.
 */
export function imageNotAnswered(cluster: Cluster, ref: string): SwarmError {
  const away = unhealthyHolders(cluster, ref);
  if (away.length === 0)
    return new SwarmError(ErrorCode.NotFound, `No such image: ${ref}`, { details: { status: 404 } });
  const where = away
    .map((n) => `node ${n.name}, which is ${n.health}${n.lastError ? ` (${n.lastError})` : ''}`)
    .join('; ');
  return new SwarmError(ErrorCode.NodeDown, `Image ${ref} is only on ${where}`, {
    details: { node: away[0]?.name, status: 503 },
  });
}

/** Keeps each node's image listing current from its events: one listing at a time, the latest wins. */
export class ImageRelister {
  readonly #cluster: Cluster;
  /** Nodes with a listing in flight; `true` when another event came meanwhile (list once more after). */
  readonly #busy = new Map<AggregateNode, boolean>();

  constructor(cluster: Cluster) {
    this.#cluster = cluster;
  }

  /**
   * An image event from `node` (pull, tag, untag, delete, import, load): list its images again. Events
   * come in bursts (an rmi is an untag per tag and a delete per layer): they share one listing.
   */
  changed(node: AggregateNode): void {
    if (this.#busy.has(node)) {
      this.#busy.set(node, true);
      return;
    }
    this.#busy.set(node, false);
    void relistImages(this.#cluster, [node]).finally(() => {
      const again = this.#busy.get(node);
      this.#busy.delete(node);
      if (again && node.health === 'healthy' && this.#cluster.get(node.name) === node) this.changed(node);
    });
  }
}
