/**
 * Swarm-mode calls (swarm, nodes, services, tasks, secrets, configs) go to a node that can answer
 * them: a swarm manager, as its `info` says (`Swarm.ControlAvailable`), then a node in a swarm, then
 * any reachable node, which answers as dockerd does outside a swarm ("This node is not a swarm
 * manager…", 503). `info` is asked again when no node's last answer shows a manager.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Cluster } from './cluster.js';
import type { AggregateNode } from './node.js';

interface SwarmInfo {
  LocalNodeState?: string;
  ControlAvailable?: boolean;
}

function swarmOf(n: AggregateNode): SwarmInfo {
  return ((n.info?.Swarm as SwarmInfo | undefined) ?? {}) as SwarmInfo;
}

/** Best first: managers, then swarm members, then the rest; unreachable nodes never. */
function ranked(cluster: Cluster): AggregateNode[] {
  const score = (n: AggregateNode) => {
    const s = swarmOf(n);
    return s.ControlAvailable ? 0 : s.LocalNodeState === 'active' ? 1 : 2;
  };
  return cluster.nodes
    .filter((n) => n.reachable)
    .map((n, i) => ({ n, i }))
    .sort((a, b) => score(a.n) - score(b.n) || a.i - b.i)
    .map((x) => x.n);
}

/** The node a swarm-mode call goes to. `init`/`join` prefer a node not in a swarm yet. */
export async function swarmTarget(cluster: Cluster, op: string): Promise<AggregateNode> {
  if (!cluster.nodes.some((n) => swarmOf(n).ControlAvailable)) {
    // Info may be older than a `swarm init` made elsewhere: ask again (within the list deadline).
    const results = await cluster.fanOut('get', () => ({ op: 'info', query: {} }));
    for (const r of results)
      if ('result' in r && r.result.status === 200) r.node.info = r.result.body as Record<string, unknown>;
  }
  let nodes = ranked(cluster);
  if (op === 'swarm.init' || op === 'swarm.join') {
    const free = nodes.filter((n) => swarmOf(n).LocalNodeState !== 'active');
    if (free.length) nodes = free;
  }
  const node = nodes[0];
  if (!node) throw new SwarmError(ErrorCode.NodeDown, 'no node is reachable', { details: { status: 503 } });
  return node;
}
