/**
 * Managed plugins across nodes. A plugin is installed per daemon, like a local network: `docker plugin
 * ls` merges every node's plugins (a name several nodes hold is shown `node/name` on each, classic Swarm's
 * form; a node that does not answer is named in `X-Swarm-Warning`, its plugins left out, as a plugin
 * reserves nothing cluster-wide), and a call naming a plugin goes to the node a `node/` prefix names,
 * else to the first node that has it. `plugin create`/`install` with a `node/` prefix on the name land
 * on that node; without one, on the first reachable node.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import type { AggregateNode } from './node.js';
import { withWarnings } from './views.js';

/** A `/plugins` row; only what merging reads is typed. */
interface PluginRow {
  Name?: string;
  [field: string]: unknown;
}

/** `GET /plugins` on every node, merged; a name held by several nodes is written `node/name` on each. */
export async function listPlugins(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const results = await cluster.fanOut('ls', () => ({ op: 'plugin.list', query: args.query }));
  const perNode = results.flatMap((r) =>
    'result' in r && r.result.status === 200 && Array.isArray(r.result.body)
      ? [{ node: r.node.name, rows: r.result.body as PluginRow[] }]
      : [],
  );
  // No node could list plugins (simulators do not model them; every node down): answer as the first did.
  const first = results[0];
  if (perNode.length === 0 && first && 'error' in first) throw first.error;
  const holders = new Map<string, Set<string>>();
  for (const { node, rows } of perNode)
    for (const r of rows) holders.set(r.Name ?? '', (holders.get(r.Name ?? '') ?? new Set()).add(node));
  const body = perNode.flatMap(({ node, rows }) =>
    rows.map((r) => ((holders.get(r.Name ?? '')?.size ?? 0) > 1 ? { ...r, Name: `${node}/${r.Name}` } : r)),
  );
  return withWarnings({ status: 200, body }, results);
}

/** Where a plugin call goes, and its arguments with any `node/` prefix removed. */
export async function pluginTarget(
  cluster: Cluster,
  args: DockerArgs,
): Promise<{ node: AggregateNode; args: DockerArgs }> {
  if (args.op === 'plugin.create' || args.op === 'plugin.install') {
    const named = cluster.nodePrefixed(args.query.name ?? '');
    const node = named?.node ?? cluster.nodes.find((n) => n.reachable);
    if (!node) throw new SwarmError(ErrorCode.NodeDown, 'no node is reachable', { details: { status: 503 } });
    return { node, args: named ? { ...args, query: { ...args.query, name: named.rest } } : args };
  }
  const ref = args.id ?? '';
  const named = cluster.nodePrefixed(ref);
  if (named) return { node: named.node, args: { ...args, id: named.rest } };
  for (const n of cluster.nodes.filter((x) => x.reachable)) {
    const r = await n.result('get', { op: 'plugin.inspect', id: ref, query: {} }).catch(() => undefined);
    if (r?.status === 200) return { node: n, args };
  }
  throw new SwarmError(ErrorCode.NotFound, `plugin "${ref}" not found`, { details: { status: 404 } });
}
