/**
 * Choosing a node for a new container: filters (health, constraint, affinity, host port, image) in
 * classic Swarm semantics, then a strategy (spread, binpack, random) ranks the survivors. Pure: the
 * stage feeds it a snapshot of every node, so it is tested without daemons.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import { holdsImage } from './images.js';
import { formatRule, type PlacementRule, ruleHolds } from './rules.js';

/** A node's health as the aggregate sees it (see `health.ts`). */
export type NodeHealth = 'connecting' | 'healthy' | 'degraded' | 'down' | 'backoff';

/** What placement needs to know about one container already on a node. */
export interface PlacedContainer {
  id: string;
  /** Names without the leading `/`. */
  names: string[];
  image: string;
  labels: Record<string, string>;
  /** Published host ports as `port/proto`, e.g. `8080/tcp`. */
  hostPorts: string[];
}

/** A snapshot of one node for placement. */
export interface PlacementNode {
  name: string;
  id?: string;
  health: NodeHealth;
  /** Daemon labels plus `storagedriver`, `kernelversion`, `operatingsystem`, `ostype`. */
  labels: Record<string, string>;
  containers: PlacedContainer[];
  /** Image tags and ids the node holds. */
  images: string[];
  /** False when the node cannot pull (offline): it is never picked for an image it lacks. */
  canPull: boolean;
  /** Creates in flight to this node, so a burst spreads instead of piling on one node. */
  pending?: number;
}

/** What placement needs to know about the container to create. */
export interface PlacementRequest {
  image?: string;
  rules: PlacementRule[];
  hostPorts: string[];
}

/** Placement strategies, as `--strategy`. */
export type Strategy = 'spread' | 'binpack' | 'random';

/** The strategies, for argument validation. */
export const STRATEGIES: readonly Strategy[] = ['spread', 'binpack', 'random'];

/** Options for {@link rankNodes}. */
export interface RankOptions {
  strategy: Strategy;
  /** A source of uniform numbers in [0, 1); injected so tests are deterministic. */
  random?: () => number;
}

/** Why each excluded node was excluded, by node name. */
export type Exclusions = Record<string, string[]>;

/**
 * The eligible nodes for `req`, best first. Hard rules always hold; soft rules are dropped only when
 * nothing satisfies them. Throws `SWARM_ERR_NO_ELIGIBLE_NODE` naming, per node, every rule that
 * excluded it.
 */
export function rankNodes(
  nodes: readonly PlacementNode[],
  req: PlacementRequest,
  opts: RankOptions,
): PlacementNode[] {
  let { eligible, excluded } = filterNodes(nodes, req, true);
  if (eligible.length === 0 && req.rules.some((r) => r.soft)) {
    ({ eligible, excluded } = filterNodes(nodes, req, false));
  }
  if (eligible.length === 0) throw noEligibleNode(nodes, excluded);
  return order(eligible, opts);
}

/** Applies every filter; returns the survivors and the reasons for the rest. */
export function filterNodes(
  nodes: readonly PlacementNode[],
  req: PlacementRequest,
  withSoft: boolean,
): { eligible: PlacementNode[]; excluded: Exclusions } {
  const eligible: PlacementNode[] = [];
  const excluded: Exclusions = {};
  for (const node of nodes) {
    const reasons = exclusionReasons(node, req, withSoft);
    if (reasons.length === 0) eligible.push(node);
    else excluded[node.name] = reasons;
  }
  return { eligible, excluded };
}

/** Every reason `node` cannot take `req` (empty when it can). */
export function exclusionReasons(node: PlacementNode, req: PlacementRequest, withSoft = true): string[] {
  const reasons: string[] = [];
  if (node.health !== 'healthy' && node.health !== 'degraded') reasons.push(`health: node is ${node.health}`);
  for (const rule of req.rules) {
    if (rule.soft && !withSoft) continue;
    if (!ruleHolds(rule, ruleValues(node, rule))) reasons.push(formatRule(rule));
  }
  const used = new Set(node.containers.flatMap((c) => c.hostPorts));
  for (const port of req.hostPorts) if (used.has(port)) reasons.push(`port: ${port} already published`);
  if (req.image && !node.canPull && !holdsImage(node.images, req.image)) {
    reasons.push(`image: ${req.image} is not on the node and it cannot pull`);
  }
  return reasons;
}

/** The node's values a rule's pattern is matched against. */
function ruleValues(node: PlacementNode, rule: PlacementRule): string[] {
  if (rule.kind === 'constraint') {
    if (rule.key === 'node') return node.id ? [node.name, node.id] : [node.name];
    const v = node.labels[rule.key];
    return v === undefined ? [] : [v];
  }
  if (rule.key === 'container') return node.containers.flatMap((c) => [c.id, c.id.slice(0, 12), ...c.names]);
  if (rule.key === 'image') return [...node.images, ...node.containers.map((c) => c.image)];
  return node.containers.flatMap((c) =>
    c.labels[rule.key] === undefined ? [] : [c.labels[rule.key] as string],
  );
}

function load(node: PlacementNode): number {
  return node.containers.length + (node.pending ?? 0);
}

function order(nodes: PlacementNode[], opts: RankOptions): PlacementNode[] {
  // A degraded node is failing calls: it stays eligible (it may be all we have) but always ranks last.
  const penalty = (n: PlacementNode) => (n.health === 'degraded' ? 1 : 0);
  if (opts.strategy === 'random') {
    const random = opts.random ?? Math.random;
    const keyed = nodes.map((n) => ({ n, k: random() }));
    keyed.sort((a, b) => penalty(a.n) - penalty(b.n) || a.k - b.k);
    return keyed.map((x) => x.n);
  }
  const sign = opts.strategy === 'binpack' ? -1 : 1;
  return [...nodes].sort(
    (a, b) => penalty(a) - penalty(b) || sign * (load(a) - load(b)) || a.name.localeCompare(b.name),
  );
}

function noEligibleNode(nodes: readonly PlacementNode[], excluded: Exclusions): SwarmError {
  const parts = Object.entries(excluded).map(([node, why]) => `${node}: ${why.join(', ')}`);
  const message =
    nodes.length === 0
      ? 'no node can run this container: the aggregate has no nodes'
      : `no node can run this container (${parts.join('; ')})`;
  return new SwarmError(ErrorCode.NoEligibleNode, message, { details: { excluded } });
}
