/**
 * Images across nodes (the pull is in pull.ts, the listing in image-list.ts): a build is placed by
 * strategy and `constraint:` build args (BuildKit's session goes first and the build follows it to its
 * node); an import or load goes to one node, placed like a build; rmi and tag act on every node holding
 * the image; push, save, history and inspect on one holder.
 * @module
 */
import type { Message } from '../../actors/message.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import { type DockerArgs, type DockerResult, replySet } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import { placementNode } from './create.js';
import { imageHolders, imageOnNode } from './image-holders.js';
import { imageNotAnswered, listImages, unhealthyHolders } from './image-list.js';
import type { AggregateNode } from './node.js';
import { rulesFromMap } from './object-rules.js';
import { type RankOptions, rankNodes } from './placement.js';
import { pullEverywhere } from './pull.js';
import { withWarnings } from './views.js';

/**
 * Answers the image calls the aggregate handles itself (list, pull, import, build, load, BuildKit
 * sessions, rmi, tag, save, inspect); false for any other op (push, history, `image.get` go to one
 * holder by the route table).
 */
export async function imageCall(
  cluster: Cluster,
  message: Message,
  args: DockerArgs,
  rank: RankOptions,
): Promise<boolean> {
  switch (args.op) {
    case 'image.list':
      replySet(message.ret, await listImages(cluster, args));
      return true;
    case 'image.create': {
      if (!args.query.fromSrc) await pullEverywhere(cluster, message, args);
      else {
        const imported = placeImport(cluster, args, rank);
        imported.node.forward(message, imported.args);
      }
      return true;
    }
    case 'image.build':
    case 'image.load': {
      const placed = placeBuild(cluster, args, rank);
      placed.node.forward(message, placed.args);
      return true;
    }
    case 'session':
    case 'session.grpc':
      placeSession(cluster, args, rank).forward(message, args);
      return true;
    case 'image.remove':
    case 'image.tag':
      replySet(message.ret, await onEveryHolder(cluster, args));
      return true;
    case 'image.get.all': {
      const saved = await saveHolder(cluster, args);
      saved.node.forward(message, saved.args);
      return true;
    }
    case 'image.inspect': {
      const pinned = imageOnNode(cluster, args.id ?? '');
      if (pinned) {
        pinned.nodes[0]?.forward(message, { ...args, id: pinned.ref });
        return true;
      }
      // Any holder can describe the image: ask the reachable nodes in order.
      for (const n of cluster.nodes.filter((x) => x.reachable)) {
        const r = await n.result('get', args).catch(() => undefined);
        if (r?.status === 200) {
          replySet(message.ret, r);
          return true;
        }
      }
      throw imageNotAnswered(cluster, args.id ?? '');
    }
    default:
      return false;
  }
}

/**
 * The image a push needs its node to hold: the path names the repository and the query the tag
 * (`repo:tag`); `docker push --all-tags` sends no tag, so any tag of the repository a reachable node last
 * listed will do (the repository alone would mean `repo:latest`, which it may not have).
 */
export function pushedRef(cluster: Cluster, args: DockerArgs): string {
  const repo = args.id ?? '';
  if (args.query.tag) return `${repo}:${args.query.tag}`;
  for (const n of cluster.nodes.filter((x) => x.reachable))
    for (const row of n.images) for (const t of row.RepoTags ?? []) if (t.startsWith(`${repo}:`)) return t;
  return repo;
}

/** The key under which the latest session's node is kept. */
const LATEST = '';

/** BuildKit sessions by id → the node that serves them: a build naming its session follows it there. */
const sessions = new WeakMap<Cluster, Map<string, string>>();

/** The node for a build or an import: a session's node, else strategy + `constraint:` build args. */
export function placeBuild(
  cluster: Cluster,
  args: DockerArgs,
  opts: RankOptions,
): { node: AggregateNode; args: DockerArgs } {
  const bySession = sessions.get(cluster);
  const sessionId = args.query.session;
  const pinned = sessionId ? bySession?.get(sessionId) : undefined;
  let buildargs: Record<string, string> | undefined;
  try {
    buildargs = args.query.buildargs
      ? (JSON.parse(args.query.buildargs) as Record<string, string>)
      : undefined;
  } catch {
    buildargs = undefined;
  }
  const { rules, rest } = rulesFromMap(buildargs);
  const forwarded = rules.length
    ? { ...args, query: { ...args.query, buildargs: JSON.stringify(rest ?? {}) } }
    : args;
  const pinnedNode = pinned ? cluster.get(pinned) : undefined;
  if (pinnedNode) return { node: pinnedNode, args: forwarded };
  const snapshot = cluster.nodes.map((n) => placementNode(n, undefined, new Set()));
  const best = rankNodes(snapshot, { rules, hostPorts: [] }, opts)[0];
  const node = best ? cluster.get(best.name) : undefined;
  if (!node) throw new SwarmError(ErrorCode.NoEligibleNode, 'no node can build');
  return { node, args: forwarded };
}

/**
 * `docker import` (`POST /images/create?fromSrc=…`): on the node a `node/` prefix of the repository
 * names (`docker import x.tar node2/app:1` makes `app:1` on node2), else placed like a build. One node
 * only: the upload is read once, and the containers that run the image then follow it there.
 */
export function placeImport(
  cluster: Cluster,
  args: DockerArgs,
  opts: RankOptions,
): { node: AggregateNode; args: DockerArgs } {
  const named = cluster.nodePrefixed(args.query.repo ?? '');
  if (!named) return placeBuild(cluster, args, opts);
  return { node: named.node, args: { ...args, query: { ...args.query, repo: named.rest } } };
}

/** `POST /session`: placed like a build; remembered so the build that uses it goes to the same node. */
export function placeSession(cluster: Cluster, args: DockerArgs, opts: RankOptions): AggregateNode {
  const m = sessions.get(cluster) ?? new Map<string, string>();
  sessions.set(cluster, m);
  // BuildKit's `/grpc` names no session: it goes where the latest session went (one client's build).
  const latest = args.op === 'session.grpc' ? cluster.get(m.get(LATEST) ?? '') : undefined;
  if (latest?.reachable) return latest;
  const { node } = placeBuild(cluster, args, opts);
  const h = args.headers?.['x-docker-expose-session-uuid'];
  const id = Array.isArray(h) ? h[0] : h;
  if (id) {
    m.set(LATEST, node.name);
    m.set(id, node.name);
    // Bounded: sessions are short-lived; the oldest are forgotten first.
    for (const k of m.keys()) {
      if (m.size <= 1000) break;
      m.delete(k);
    }
  }
  return node;
}

/** `DELETE /images/{ref}` or `POST /images/{ref}/tag` on every node holding the image (`node/ref`: that one). */
export async function onEveryHolder(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const asked = args.id ?? '';
  const { nodes: holders, ref } = await imageHolders(cluster, asked);
  const verb = args.op === 'image.remove' ? 'remove' : 'set';
  const results = await cluster.fanOut(verb, () => ({ ...args, id: ref }), holders, cluster.changeDeadline);
  const ok = results.flatMap((r) => ('result' in r && r.result.status < 300 ? [r.result] : []));
  const failed = results.find((r) => 'error' in r) as { node: AggregateNode; error: SwarmError } | undefined;
  if (failed && ok.length === 0) throw failed.error;
  const done =
    args.op === 'image.tag'
      ? withWarnings({ status: 201 }, results)
      : withWarnings(
          { status: 200, body: ok.flatMap((r) => (Array.isArray(r.body) ? r.body : [])) },
          results,
        );
  // A node that does not answer may hold it too: untouched there, it shows again when that node is back.
  const away = ref === asked ? unhealthyHolders(cluster, ref).filter((n) => !holders.includes(n)) : [];
  if (away.length === 0) return done;
  const note = `${ref} is also on ${away.map((n) => `node ${n.name} (${n.health})`).join(', ')}, not changed there`;
  const before = done.headers?.['X-Swarm-Warning'];
  return { ...done, headers: { ...done.headers, 'X-Swarm-Warning': before ? `${before}; ${note}` : note } };
}

/**
 * The node for `docker save a b …`: one holding every image (`node/name` names pin it), and the names as
 * that node calls them.
 */
export async function saveHolder(
  cluster: Cluster,
  args: DockerArgs,
): Promise<{ node: AggregateNode; args: DockerArgs }> {
  const names = args.repeated?.names ?? (args.query.names ? [args.query.names] : []);
  let candidates: AggregateNode[] | undefined;
  const plain: string[] = [];
  for (const name of names) {
    const hit = await imageHolders(cluster, name);
    plain.push(hit.ref);
    candidates = candidates ? candidates.filter((n) => hit.nodes.includes(n)) : hit.nodes;
  }
  const node = candidates ? candidates[0] : cluster.nodes.find((n) => n.reachable);
  if (!node)
    throw new SwarmError(
      ErrorCode.NoEligibleNode,
      `no node holds all of ${names.join(', ')}: save them one node at a time (node/name)`,
      { details: { status: 409 } },
    );
  const forwarded: DockerArgs = {
    ...args,
    query: { ...args.query, ...(args.query.names ? { names: plain[0] ?? '' } : {}) },
    ...(args.repeated?.names ? { repeated: { ...args.repeated, names: plain } } : {}),
  };
  return { node, args: forwarded };
}
