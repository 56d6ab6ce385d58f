/**
 * Networks and volumes across nodes: merged lists (and `system df`), creates placed by the strategy and
 * `constraint:` rules, every other call routed to the node that holds the object, prunes on all nodes.
 * What lives where comes from the object directory (`objects.ts`), kept current by listings and by each
 * node's event stream (`follow.ts`).
 * @module
 */
import type { Message } from '../../actors/message.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import { placementNode } from './create.js';
import {
  type DiskUsage,
  mergeDiskUsage,
  mergeObjectRows,
  mergePruneReports,
  type NodeObjects,
} from './merge-objects.js';
import type { AggregateNode } from './node.js';
import { nodeRule, rulesFromMap } from './object-rules.js';
import { isBuiltin, type ObjectKind, oneHolder } from './objects.js';
import { type RankOptions, rankNodes } from './placement.js';
import { withWarnings } from './views.js';

const LIST_OP = { network: 'network.list', volume: 'volume.list' } as const;

/** The rows of a network or volume listing body. */
function rowsOf(kind: ObjectKind, body: unknown): Record<string, unknown>[] {
  if (kind === 'network') return Array.isArray(body) ? (body as Record<string, unknown>[]) : [];
  const v = (body as { Volumes?: unknown } | undefined)?.Volumes;
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}

/** Records a node's full listing of `kind` in the directory. */
export function recordObjects(cluster: Cluster, kind: ObjectKind, node: string, body: unknown): void {
  cluster.objects.replace(
    kind,
    node,
    rowsOf(kind, body).map((row) => ({
      name: String(row.Name ?? ''),
      id: typeof row.Id === 'string' ? row.Id : undefined,
      row,
    })),
  );
}

/** Lists `kind` on `nodes` and records what each answered (a node's full, unfiltered listing). */
export async function relistObjects(
  cluster: Cluster,
  kind: ObjectKind,
  nodes: AggregateNode[],
): Promise<void> {
  const results = await cluster.fanOut('ls', () => ({ op: LIST_OP[kind], query: {} }), nodes);
  for (const r of results)
    if ('result' in r && r.result.status === 200) recordObjects(cluster, kind, r.node.name, r.result.body);
}

/** `GET /networks` or `GET /volumes` across nodes. */
export async function listObjects(
  cluster: Cluster,
  kind: ObjectKind,
  args: DockerArgs,
): Promise<DockerResult> {
  const results = await cluster.fanOut('ls', () => ({ op: LIST_OP[kind], query: args.query }));
  const filtered = Boolean(args.query.filters && args.query.filters !== '{}');
  const perNode: NodeObjects[] = [];
  const warnings: string[] = [];
  for (const r of results) {
    if ('result' in r && r.result.status === 200) {
      perNode.push({ node: r.node.name, rows: rowsOf(kind, r.result.body) });
      if (!filtered) recordObjects(cluster, kind, r.node.name, r.result.body);
      if (kind === 'volume')
        warnings.push(...(((r.result.body as { Warnings?: string[] | null })?.Warnings ?? []) as string[]));
    } else if (!filtered) {
      // What a node that does not answer last listed stays visible (and reserved), marked Host Down.
      const known = cluster.objects.entries(kind).get(r.node.name);
      const rows = [...(known?.values() ?? [])].map(
        (e) => e.row ?? (kind === 'network' ? { Name: e.name, Id: e.id ?? '' } : { Name: e.name }),
      );
      perNode.push({ node: r.node.name, rows, stale: true });
    }
    if ('error' in r) warnings.push(`node ${r.node.name}: ${r.error.message}`);
  }
  const rows = mergeObjectRows(perNode, kind);
  const body = kind === 'network' ? rows : { Volumes: rows, Warnings: warnings.length ? warnings : null };
  return withWarnings({ status: 200, body }, results);
}

/** `GET /system/df` across nodes. */
export async function diskUsage(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const results = await cluster.fanOut('get', () => ({ op: 'system.df', query: args.query }));
  const perNode = results.flatMap((r) =>
    'result' in r && r.result.status === 200
      ? [{ node: r.node.name, body: (r.result.body ?? {}) as DiskUsage }]
      : [],
  );
  return withWarnings({ status: 200, body: mergeDiskUsage(perNode) }, results);
}

/** Any prune (networks, volumes, images, build cache) on every node, reports summed. */
export async function pruneAll(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const results = await cluster.fanOut('prune', () => ({ ...args }), cluster.nodes, cluster.changeDeadline);
  const bodies: Record<string, unknown>[] = [];
  for (const r of results) {
    if (!('result' in r) || r.result.status >= 300) continue;
    bodies.push((r.result.body ?? {}) as Record<string, unknown>);
    if (args.op === 'network.prune' || args.op === 'volume.prune') {
      const kind = args.op === 'network.prune' ? 'network' : 'volume';
      const b = r.result.body as { NetworksDeleted?: string[] | null; VolumesDeleted?: string[] | null };
      for (const name of b?.NetworksDeleted ?? b?.VolumesDeleted ?? [])
        cluster.objects.remove(kind, r.node.name, name);
    }
  }
  if (bodies.length === 0 && results.length > 0 && results.every((r) => 'error' in r)) {
    throw (results[0] as { error: SwarmError }).error;
  }
  return withWarnings({ status: 200, body: mergePruneReports(bodies) }, results);
}

/** The create body of a network or volume: the fields placement reads. */
interface ObjectCreateBody {
  Name?: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  DriverOpts?: Record<string, string> | null;
  [field: string]: unknown;
}

/** Names being created right now, per kind: two parallel creates of one name must not both pass. */
const inFlight = new WeakMap<Cluster, Set<string>>();

/**
 * `POST /networks/create` / `POST /volumes/create`: on the node a `node/` prefix names, else (a volume
 * that exists already) where it is, else placed by strategy and rules. A local network name already
 * used on any node (a down one too: its objects stay reserved) is refused as dockerd refuses it.
 */
export async function createObject(
  cluster: Cluster,
  kind: ObjectKind,
  message: Message,
  args: DockerArgs,
  opts: RankOptions,
): Promise<void> {
  const body = { ...((args.body ?? {}) as ObjectCreateBody) };
  const names = cluster.nodes.map((n) => n.name);
  let name = body.Name ?? '';
  const rules = [];
  const slash = name.indexOf('/');
  if (slash > 0 && names.includes(name.slice(0, slash))) {
    rules.push(nodeRule(name.slice(0, slash)));
    name = name.slice(slash + 1);
    body.Name = name;
  }
  const labels = rulesFromMap(body.Labels);
  const options = rulesFromMap(kind === 'network' ? body.Options : body.DriverOpts);
  rules.push(...labels.rules, ...options.rules);
  if (body.Labels) body.Labels = labels.rest;
  if (kind === 'network' && body.Options) body.Options = options.rest;
  if (kind === 'volume' && body.DriverOpts) body.DriverOpts = options.rest;

  const key = `${kind}:${name}`;
  const busy = inFlight.get(cluster) ?? new Set<string>();
  inFlight.set(cluster, busy);
  const existing = name ? cluster.objects.lookup(kind, name, names).nodes : [];
  if (kind === 'network' && name && (existing.length > 0 || isBuiltin(kind, name) || busy.has(key))) {
    const where = existing.length ? ` on node ${existing.join(', ')}` : '';
    throw new SwarmError(ErrorCode.Conflict, `network with name ${name} already exists${where}`, {
      details: { status: 409 },
    });
  }
  let target: AggregateNode | undefined;
  if (kind === 'volume' && existing.length > 0 && rules.length === 0) {
    // dockerd answers a create of an existing volume with that volume: so does its node.
    target = cluster.get(existing[0] as string);
  } else {
    // Spread/binpack count the node's objects of this kind too, so creates spread across empty nodes.
    const held = cluster.objects.entries(kind);
    const snapshot = cluster.nodes.map((n) => {
      const p = placementNode(n, undefined, new Set());
      return { ...p, pending: (p.pending ?? 0) + (held.get(n.name)?.size ?? 0) };
    });
    const ranked = rankNodes(snapshot, { rules, hostPorts: [] }, opts);
    target = cluster.get((ranked[0] as { name: string }).name);
  }
  if (!target) throw new SwarmError(ErrorCode.NoEligibleNode, `no node can hold ${kind} ${name}`);
  const node = target;
  if (name) busy.add(key);
  node.forward(message, { ...args, body }, (first) => {
    if (name) busy.delete(key);
    if (first?.verb !== 'set') return;
    const r = first.args as DockerResult;
    if (r.status >= 300) return;
    const parsed = (
      typeof r.body === 'object' && r.body && !(r.body instanceof Uint8Array) ? r.body : undefined
    ) as { Id?: string; Name?: string } | undefined;
    cluster.objects.add(kind, node.name, { name: parsed?.Name ?? name, id: parsed?.Id });
  });
}

/**
 * Any call naming one network or volume (inspect, rm, connect, disconnect): to the node holding it.
 * A name the directory does not know is looked for once on every reachable node (made behind our
 * back and its event not seen yet). Built-in networks: the container's node for connect/disconnect,
 * else a healthy node.
 */
export async function routeObject(
  cluster: Cluster,
  kind: ObjectKind,
  message: Message,
  args: DockerArgs,
): Promise<void> {
  const ref = args.id ?? '';
  const names = cluster.nodes.map((n) => n.name);
  let hit = cluster.objects.lookup(kind, ref, names);
  if (hit.nodes.length === 0) {
    await relistObjects(
      cluster,
      kind,
      cluster.nodes.filter((n) => n.reachable),
    );
    hit = cluster.objects.lookup(kind, ref, names);
  }
  let node: AggregateNode | undefined;
  let forwarded: DockerArgs = { ...args, id: hit.ref };
  if (args.op === 'network.connect' || args.op === 'network.disconnect') {
    const b = (args.body ?? {}) as { Container?: string };
    const owner = await cluster.owner(b.Container ?? '');
    if (!hit.nodes.includes(owner.node)) {
      const where = hit.nodes.length ? `on node ${hit.nodes.join(', ')}` : 'on no node';
      throw new SwarmError(
        ErrorCode.Conflict,
        `network ${ref} is ${where} and container ${b.Container} is on node ${owner.node}: a local network reaches only its own node's containers`,
        { details: { status: 409 } },
      );
    }
    node = cluster.get(owner.node);
    forwarded = { ...forwarded, body: { ...b, Container: owner.id } };
  } else if (isBuiltin(kind, hit.ref) && hit.nodes.length > 1) {
    node = cluster.nodes.find((n) => n.health === 'healthy') ?? cluster.nodes.find((n) => n.reachable);
  } else node = cluster.get(oneHolder(kind, ref, hit));
  if (!node) throw new SwarmError(ErrorCode.NodeDown, 'no node is reachable', { details: { status: 503 } });
  const holder = node;
  holder.forward(message, forwarded, (first) => {
    const ok = first && first.verb !== 'error' && ((first.args as DockerResult).status ?? 200) < 300;
    if (ok && (args.op === 'network.remove' || args.op === 'volume.remove'))
      cluster.objects.remove(kind, holder.name, hit.ref);
  });
}
