/**
 * `POST /containers/create` across nodes: reserve the name cluster-wide (synchronously, so parallel
 * creates of one name cannot both pass), strip placement rules from `Env`, learn which nodes hold the
 * image, rank the eligible nodes, and create on the best one, retrying once on the next if the first
 * is unreachable or fails on its side.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import { asSwarmError, type Cluster } from './cluster.js';
import { createDependencies, type DependencyBody } from './dependencies.js';
import type { ContainerRow } from './filters.js';
import { imageOnNode } from './image-holders.js';
import { imageNotAnswered, unhealthyHolders } from './image-list.js';
import type { AggregateNode } from './node.js';
import { nodeRule } from './object-rules.js';
import { type PlacedContainer, type PlacementNode, rankNodes, type Strategy } from './placement.js';
import { extractRules } from './rules.js';

/** The part of a create body placement reads. */
interface CreateBody {
  Image?: string;
  Env?: string[] | null;
  HostConfig?: { PortBindings?: Record<string, { HostPort?: string }[] | null> | null } | null;
  [field: string]: unknown;
}

/** Placement settings. */
export interface CreateOptions {
  strategy: Strategy;
  random?: () => number;
}

/** Creates a container on the best eligible node; at most one retry on another node. */
export async function createContainer(
  cluster: Cluster,
  args: DockerArgs,
  opts: CreateOptions,
): Promise<DockerResult> {
  const asked = (args.body ?? {}) as CreateBody;
  const { rules, env } = extractRules(asked.Env);
  // `node/repo:tag` (as `docker images` lists a tag repeated on nodes) is that node's `repo:tag`.
  const pinned = asked.Image ? imageOnNode(cluster, asked.Image) : undefined;
  if (pinned) rules.push(nodeRule(pinned.nodes[0]?.name ?? ''));
  const body = pinned ? { ...asked, Image: pinned.ref } : asked;
  const name = args.query.name;
  const release = name ? cluster.directory.reserveName(name) : () => {};
  try {
    // Networks, volumes and containers it uses decide where it may go (classic Swarm's dependency filter).
    const deps = await createDependencies(cluster, body as DependencyBody);
    const allowed = (n: AggregateNode) => !deps.allowed || deps.allowed.has(n.name);
    // A degraded node (missed a deadline, not yet confirmed down) gets no new containers while a
    // healthy one can take them: a flapping daemon would otherwise stall or fail the create.
    const reachable = cluster.nodes.filter((n) => n.reachable && allowed(n));
    const healthy = reachable.filter((n) => n.health === 'healthy');
    const req = { image: body.Image, rules, hostPorts: hostPorts(body) };
    let ranked: PlacementNode[] | undefined;
    if (healthy.length > 0 && healthy.length < reachable.length) {
      const holders = body.Image ? await imageHolders(healthy, body.Image) : new Set<AggregateNode>();
      try {
        ranked = rankNodes(
          healthy.map((n) => placementNode(n, body.Image, holders)),
          req,
          opts,
        );
      } catch {
        ranked = undefined; // no healthy node fits: fall back to every reachable node below
      }
    }
    if (!ranked) {
      const holders = body.Image ? await imageHolders(reachable, body.Image) : new Set<AggregateNode>();
      const snapshot = cluster.nodes.filter(allowed).map((n) => placementNode(n, body.Image, holders));
      try {
        ranked = rankNodes(snapshot, req, opts);
      } catch (err) {
        // No node it may go to answers (its dependencies are on a down node): say so, not "no such image".
        const missing =
          reachable.length > 0 ? imageMissingEverywhere(cluster, err, body.Image, holders) : undefined;
        throw missing ?? withDependencies(err, deps.reasons);
      }
    }
    const forwarded: DockerArgs = {
      ...args,
      body: { ...body, ...deps.body, Env: body.Env == null ? body.Env : env },
    };
    let lastError: SwarmError | undefined;
    for (const target of ranked.slice(0, 2)) {
      const node = cluster.get(target.name);
      if (!node) continue;
      node.pending++;
      // A named volume this create makes is pinned to its node now: a parallel create mounting it follows.
      const unpin = deps.newVolumes.map((v) => cluster.objects.pin(v, node.name));
      let made = false;
      try {
        const result = await node.result('spawn', forwarded, node.opDeadline);
        const id = (result.body as { Id?: string } | undefined)?.Id;
        if (result.status < 300 && id) {
          cluster.directory.add(node.name, id, name ? [name] : []);
          node.rows = [...node.rows, createdRow(id, name, body.Image)];
          for (const v of deps.newVolumes) cluster.objects.add('volume', node.name, { name: v });
          made = true;
        }
        return result;
      } catch (err) {
        lastError = asSwarmError(err);
        if (!retryable(lastError)) throw lastError;
      } finally {
        node.pending--;
        if (!made) for (const u of unpin) u();
      }
    }
    throw lastError ?? new SwarmError(ErrorCode.NoEligibleNode, 'no node can run this container');
  } finally {
    release();
  }
}

/** Which reachable nodes hold the image (an inspect on each, within the deadline). */
async function imageHolders(nodes: AggregateNode[], image: string): Promise<Set<AggregateNode>> {
  const answers = await Promise.all(
    nodes.map((n) =>
      n.result('get', { op: 'image.inspect', id: image, query: {} }).then(
        (r) => (r.status === 200 ? n : undefined),
        () => undefined,
      ),
    ),
  );
  return new Set(answers.filter((n): n is AggregateNode => n !== undefined));
}

/** A node as placement sees it (labels from its info, its rows, whether it holds `image`). */
export function placementNode(
  n: AggregateNode,
  image: string | undefined,
  holders: Set<AggregateNode>,
): PlacementNode {
  const info = n.info ?? {};
  const labels: Record<string, string> = {};
  for (const l of (info.Labels as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    if (eq > 0) labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  for (const [k, f] of [
    ['storagedriver', 'Driver'],
    ['kernelversion', 'KernelVersion'],
    ['operatingsystem', 'OperatingSystem'],
    ['ostype', 'OSType'],
  ] as const) {
    if (typeof info[f] === 'string') labels[k] = info[f] as string;
  }
  return {
    name: n.name,
    id: typeof info.ID === 'string' ? info.ID : undefined,
    health: n.health,
    labels,
    containers: n.rows.map(placed),
    images: image && holders.has(n) ? [image] : [],
    // Create never pulls; the client pulls after a 404. So a node without the image is not a candidate.
    canPull: false,
    pending: n.pending,
  };
}

function placed(r: ContainerRow): PlacedContainer {
  const ports = (r.Ports as { PublicPort?: number; Type?: string }[] | undefined) ?? [];
  return {
    id: r.Id,
    names: (r.Names ?? []).map((x) => x.replace(/^\//, '')),
    image: r.Image ?? '',
    labels: r.Labels ?? {},
    hostPorts: ports.filter((p) => p.PublicPort).map((p) => `${p.PublicPort}/${p.Type ?? 'tcp'}`),
  };
}

function hostPorts(body: CreateBody): string[] {
  const out: string[] = [];
  for (const [port, bindings] of Object.entries(body.HostConfig?.PortBindings ?? {})) {
    const proto = port.split('/')[1] ?? 'tcp';
    for (const b of bindings ?? []) if (b.HostPort) out.push(`${b.HostPort}/${proto}`);
  }
  return out;
}

function createdRow(id: string, name: string | undefined, image: string | undefined): ContainerRow {
  return {
    Id: id,
    Names: name ? [`/${name}`] : [],
    Image: image,
    Created: Math.floor(Date.now() / 1000),
    State: 'created',
  };
}

/** Unreachable nodes and server-side failures are worth another node; a 4xx about the request is not. */
function retryable(e: SwarmError): boolean {
  const status = e.details?.status;
  return typeof status !== 'number' || status >= 500;
}

/**
 * When no node that answers holds the image: it is a down node's (reserved, 503 naming the node), or
 * nobody's, answered like dockerd (404 No such image) so the CLI pulls it.
 */
function imageMissingEverywhere(
  cluster: Cluster,
  err: unknown,
  image: string | undefined,
  holders: Set<AggregateNode>,
): SwarmError | undefined {
  if (!image || holders.size > 0 || !(err instanceof SwarmError) || err.code !== ErrorCode.NoEligibleNode)
    return undefined;
  if (unhealthyHolders(cluster, image).length > 0) return imageNotAnswered(cluster, image);
  return new SwarmError(ErrorCode.NotFound, `No such image: ${image} (on no node: ${err.message})`, {
    details: { status: 404, excluded: err.details?.excluded },
  });
}

/** A placement failure of a create with dependencies names them (they narrowed the candidates). */
function withDependencies(err: unknown, reasons: readonly string[]): unknown {
  if (reasons.length === 0 || !(err instanceof SwarmError) || err.code !== ErrorCode.NoEligibleNode)
    return err;
  return new SwarmError(ErrorCode.NoEligibleNode, `${err.message}; dependencies: ${reasons.join('; ')}`, {
    details: { ...err.details },
  });
}
