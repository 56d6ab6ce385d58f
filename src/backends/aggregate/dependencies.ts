/**
 * Classic Swarm's dependency filter, extended to networks and volumes: a container create that attaches
 * a local network, mounts a named volume, or uses `--volumes-from`, `--link` or `--network container:`
 * must land where those live. {@link createDependencies} reads the create body and answers the nodes
 * that hold every dependency (or throws naming the conflict), the volumes the create will make
 * implicitly (pinned to the chosen node), and the body with `node/name` references made plain.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Cluster } from './cluster.js';
import { isBuiltin } from './objects.js';

/** The part of a create body dependencies read. */
export interface DependencyBody {
  HostConfig?: {
    NetworkMode?: string;
    Binds?: string[] | null;
    Mounts?: { Type?: string; Source?: string }[] | null;
    VolumesFrom?: string[] | null;
    Links?: string[] | null;
  } | null;
  NetworkingConfig?: { EndpointsConfig?: Record<string, unknown> | null } | null;
  [field: string]: unknown;
}

/** What a create depends on. */
export interface Dependencies {
  /** Nodes that hold every dependency; `undefined` when nothing constrains the create. */
  allowed?: Set<string>;
  /** One line per dependency, for errors (`volume data on node2`). */
  reasons: string[];
  /** Named volumes no node has yet: the create makes them; they are pinned to its node. */
  newVolumes: string[];
  /** The body to forward (`node/name` network references made plain). */
  body: DependencyBody;
}

/** The named volumes a create mounts (`-v name:/path`, `--mount type=volume,src=name`). */
function namedVolumes(body: DependencyBody): string[] {
  const out = new Set<string>();
  for (const b of body.HostConfig?.Binds ?? []) {
    const src = b.split(':')[0] ?? '';
    if (src && !src.startsWith('/') && !src.startsWith('.') && !src.startsWith('~')) out.add(src);
  }
  for (const m of body.HostConfig?.Mounts ?? []) if (m.Type === 'volume' && m.Source) out.add(m.Source);
  return [...out];
}

/** Reads a create's dependencies from the directories (refreshing a container directory miss once). */
export async function createDependencies(cluster: Cluster, input: DependencyBody): Promise<Dependencies> {
  const body: DependencyBody = {
    ...input,
    HostConfig: input.HostConfig ? { ...input.HostConfig } : input.HostConfig,
  };
  const names = cluster.nodes.map((n) => n.name);
  let allowed: Set<string> | undefined;
  const reasons: string[] = [];
  const require = (what: string, nodes: readonly string[]) => {
    reasons.push(`${what} on ${nodes.length ? `node ${nodes.join(', ')}` : 'no node'}`);
    const set = new Set(nodes);
    allowed = allowed ? new Set([...allowed].filter((n) => set.has(n))) : set;
  };
  const hc = body.HostConfig;
  // Containers: --volumes-from, --link, --network container:
  const containers: [string, string][] = [
    ...(hc?.VolumesFrom ?? []).map((v) => ['--volumes-from', v.split(':')[0] ?? ''] as [string, string]),
    ...(hc?.Links ?? []).map((l) => ['--link', l.split(':')[0] ?? ''] as [string, string]),
  ];
  const mode = hc?.NetworkMode ?? '';
  if (mode.startsWith('container:'))
    containers.push(['--network container:', mode.slice('container:'.length)]);
  for (const [flag, ref] of containers) {
    const owner = await cluster.owner(ref);
    require(`container ${ref} (${flag})`, [owner.node]);
  }
  // Networks: NetworkMode and each endpoint.
  const nets = new Set<string>();
  if (mode && !mode.startsWith('container:')) nets.add(mode);
  for (const n of Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {})) nets.add(n);
  const rename = new Map<string, string>();
  for (const net of nets) {
    if (isBuiltin('network', net)) continue;
    const hit = cluster.objects.lookup('network', net, names);
    if (hit.ref !== net) rename.set(net, hit.ref);
    // A network no node knows is left to the daemon to refuse ("network … not found").
    if (hit.nodes.length > 0) require(`network ${net}`, hit.nodes);
  }
  if (rename.size > 0) {
    if (hc?.NetworkMode && rename.has(hc.NetworkMode))
      (body.HostConfig as { NetworkMode?: string }).NetworkMode = rename.get(hc.NetworkMode);
    const eps = body.NetworkingConfig?.EndpointsConfig;
    if (eps) {
      body.NetworkingConfig = {
        ...body.NetworkingConfig,
        EndpointsConfig: Object.fromEntries(Object.entries(eps).map(([k, v]) => [rename.get(k) ?? k, v])),
      };
    }
  }
  // Named volumes: where they are, or made implicitly by this create (pinned to its node).
  const newVolumes: string[] = [];
  for (const v of namedVolumes(body)) {
    const hit = cluster.objects.lookup('volume', v, names);
    if (hit.nodes.length > 0) require(`volume ${v}`, hit.nodes);
    else newVolumes.push(v);
  }
  if (allowed && allowed.size === 0) {
    throw new SwarmError(
      ErrorCode.NoEligibleNode,
      `no node can run this container: its dependencies are on different nodes (${reasons.join('; ')})`,
      { details: { status: 409, dependencies: reasons } },
    );
  }
  return { allowed, reasons, newVolumes, body };
}
