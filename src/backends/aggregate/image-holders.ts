/**
 * Which nodes a call about one image goes to. `node/repo:tag` — the form `docker images` shows for a tag
 * that names different images on different nodes, or for a down node's images — means that node's
 * `repo:tag` (as `node/name` does for networks and volumes); any other reference goes to the reachable
 * nodes whose inspect of it answers 200. An image that only a node which does not answer holds is
 * refused naming that node (image-list.ts).
 * @module
 */
import type { DockerArgs } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import { imageNotAnswered } from './image-list.js';
import type { AggregateNode } from './node.js';

/** The nodes a reference points at, and the reference as those nodes call it (`node/` removed). */
export interface ImageHit {
  nodes: AggregateNode[];
  ref: string;
}

/**
 * `node/rest` when `node` is one of the aggregate's nodes (a repository called `node1/app` on a registry
 * is then out of reach by that name, as with networks), else `undefined`. A node that is down is an
 * error naming it.
 */
export function imageOnNode(cluster: Cluster, ref: string): ImageHit | undefined {
  const named = cluster.nodePrefixed(ref);
  if (!named) return undefined;
  if (!named.node.reachable) throw named.node.downError();
  return { nodes: [named.node], ref: named.rest };
}

/** The reachable nodes whose inspect of `ref` answers 200. */
export async function imageHoldersOf(cluster: Cluster, ref: string): Promise<AggregateNode[]> {
  const results = await cluster.fanOut(
    'get',
    () => ({ op: 'image.inspect', id: ref, query: {} }),
    cluster.nodes.filter((n) => n.reachable),
  );
  return results.flatMap((r) => ('result' in r && r.result.status === 200 ? [r.node] : []));
}

/** Every node holding `ref` (`node/ref`: that node); none is an error (404, or 503 naming a down holder). */
export async function imageHolders(cluster: Cluster, ref: string): Promise<ImageHit> {
  const pinned = imageOnNode(cluster, ref);
  if (pinned) return pinned;
  const nodes = await imageHoldersOf(cluster, ref);
  if (nodes.length === 0) throw imageNotAnswered(cluster, ref);
  return { nodes, ref };
}

/** One node holding the image `args.id` names (the first that answers), and the args for it. */
export async function imageHolder(
  cluster: Cluster,
  args: DockerArgs,
  ref = args.id ?? '',
): Promise<{ node: AggregateNode; args: DockerArgs }> {
  const pinned = imageOnNode(cluster, args.id ?? '');
  if (pinned) return { node: pinned.nodes[0] as AggregateNode, args: { ...args, id: pinned.ref } };
  for (const n of cluster.nodes.filter((x) => x.reachable)) {
    const r = await n.result('get', { op: 'image.inspect', id: ref, query: {} }).catch(() => undefined);
    if (r?.status === 200) return { node: n, args };
  }
  throw imageNotAnswered(cluster, ref);
}
