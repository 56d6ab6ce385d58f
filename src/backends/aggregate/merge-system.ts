/**
 * `docker info`, `docker version` and `docker images` across nodes, as pure functions over what each
 * node answered. Per-node state (health, last error, last update) goes into `SystemStatus`, which the
 * docker 28 CLI prints under "Server Version", the same rows classic Swarm showed.
 * @module
 */
import type { NodeHealth } from './placement.js';

/** What the aggregate knows about one node when building `info`. */
export interface NodeStatus {
  name: string;
  /** The stage command that reaches it, e.g. `dockerclient unix:///run/n1.sock`. */
  command: string;
  health: NodeHealth;
  lastError?: string;
  /** Wall-clock ms of the last successful answer. */
  updatedAt?: number;
  /** Its last `/info` body. */
  info?: Record<string, unknown>;
}

/** Options for {@link mergeInfo}. */
export interface MergeInfoOptions {
  name: string;
  strategy: string;
  serverVersion: string;
}

const SUMMED = [
  'Containers',
  'ContainersRunning',
  'ContainersPaused',
  'ContainersStopped',
  'Images',
  'NCPU',
  'MemTotal',
];

/** The merged `/info` body: totals over nodes that answered, one `SystemStatus` block per node. */
export function mergeInfo(nodes: readonly NodeStatus[], opts: MergeInfoOptions): Record<string, unknown> {
  const first = nodes.find((n) => n.info)?.info ?? {};
  const totals: Record<string, number> = Object.fromEntries(SUMMED.map((k) => [k, 0]));
  for (const n of nodes) {
    for (const k of SUMMED) totals[k] = (totals[k] ?? 0) + num(n.info?.[k]);
  }
  const status: [string, string][] = [
    ['Role', 'aggregate'],
    ['Strategy', opts.strategy],
    ['Nodes', String(nodes.length)],
  ];
  const warnings: string[] = [];
  for (const n of nodes) {
    const i = n.info ?? {};
    status.push(
      [` ${n.name}`, n.command],
      ['  └ Status', label(n.health)],
      [
        '  └ Containers',
        `${num(i.Containers)} (${num(i.ContainersRunning)} Running, ${num(i.ContainersPaused)} Paused, ${num(i.ContainersStopped)} Stopped)`,
      ],
      ['  └ Error', n.lastError ?? '(none)'],
      ['  └ UpdatedAt', n.updatedAt !== undefined ? new Date(n.updatedAt).toISOString() : 'never'],
      ['  └ ServerVersion', String(i.ServerVersion ?? '')],
    );
    if (n.health !== 'healthy')
      warnings.push(`WARNING: node ${n.name} is ${n.health}${n.lastError ? `: ${n.lastError}` : ''}`);
  }
  return {
    ...pick(first, ['OperatingSystem', 'OSType', 'Architecture', 'KernelVersion', 'Driver']),
    ID: `aggregate:${opts.name}`,
    Name: opts.name,
    ServerVersion: opts.serverVersion,
    ...totals,
    SystemStatus: status,
    Labels: nodes.map((n) => `node.${n.name}=${n.health}`),
    Swarm: { LocalNodeState: 'inactive' },
    Warnings: warnings,
  };
}

/**
 * The merged `/version` body: the lowest API version any answering node speaks, so every request the
 * client sends is understood by whichever node it lands on.
 */
export function mergeVersion(
  versions: readonly Record<string, unknown>[],
  serverVersion: string,
): Record<string, unknown> {
  const api = lowest(versions.map((v) => String(v.ApiVersion ?? '')).filter(Boolean)) ?? '1.41';
  const min = highest(versions.map((v) => String(v.MinAPIVersion ?? '')).filter(Boolean)) ?? '1.12';
  const first = versions[0] ?? {};
  return {
    ...pick(first, ['Os', 'Arch', 'KernelVersion', 'GoVersion', 'GitCommit', 'BuildTime']),
    Platform: { Name: 'libswarm-ts aggregate' },
    Version: serverVersion,
    ApiVersion: api,
    MinAPIVersion: min,
    Components: [
      { Name: 'Engine', Version: serverVersion, Details: { ApiVersion: api, MinAPIVersion: min } },
    ],
  };
}

/** One `/images/json` row; only what grouping reads is typed. */
export interface ImageRow {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Containers?: number;
  [field: string]: unknown;
}

/** Images grouped by id across nodes: tags and digests unioned, container counts summed, newest first. */
export function mergeImageLists(perNode: readonly { node: string; rows: ImageRow[] }[]): ImageRow[] {
  const byId = new Map<string, ImageRow>();
  for (const { rows } of perNode) {
    for (const row of rows) {
      const seen = byId.get(row.Id);
      if (!seen) {
        byId.set(row.Id, { ...row });
        continue;
      }
      seen.RepoTags = union(seen.RepoTags, row.RepoTags);
      seen.RepoDigests = union(seen.RepoDigests, row.RepoDigests);
      if (typeof seen.Containers === 'number' && typeof row.Containers === 'number' && row.Containers >= 0) {
        seen.Containers = Math.max(0, seen.Containers) + row.Containers;
      }
    }
  }
  return [...byId.values()].sort((a, b) => (b.Created ?? 0) - (a.Created ?? 0));
}

/**
 * Tags that name different images on different nodes (`busybox:local` built or imported per node) are
 * written `node/repo:tag` on each node's rows, as classic Swarm wrote repeated names, so the listing
 * shows which node holds which; a tag that names one image everywhere stays as it is.
 */
export function nodeTagRepeats(
  perNode: readonly { node: string; rows: ImageRow[] }[],
): { node: string; rows: ImageRow[] }[] {
  const idsByTag = new Map<string, Set<string>>();
  for (const { rows } of perNode)
    for (const r of rows)
      for (const t of r.RepoTags ?? []) {
        const ids = idsByTag.get(t) ?? new Set<string>();
        ids.add(r.Id);
        idsByTag.set(t, ids);
      }
  const repeated = new Set([...idsByTag].filter(([, ids]) => ids.size > 1).map(([t]) => t));
  if (repeated.size === 0) return [...perNode];
  return perNode.map(({ node, rows }) => ({
    node,
    rows: rows.map((r) =>
      r.RepoTags?.some((t) => repeated.has(t))
        ? { ...r, RepoTags: r.RepoTags.map((t) => (repeated.has(t) ? `${node}/${t}` : t)) }
        : r,
    ),
  }));
}

/** Compares `1.41` < `1.9`? No: API versions compare numerically per part, so 1.9 < 1.41. */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function lowest(vs: string[]): string | undefined {
  return vs.sort(compareApiVersions)[0];
}
function highest(vs: string[]): string | undefined {
  return vs.sort(compareApiVersions).at(-1);
}
function union(a: string[] | null | undefined, b: string[] | null | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}
function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
function label(h: NodeHealth): string {
  return h === 'healthy'
    ? 'Healthy'
    : h === 'degraded'
      ? 'Degraded'
      : h === 'connecting'
        ? 'Pending'
        : 'Unhealthy';
}
