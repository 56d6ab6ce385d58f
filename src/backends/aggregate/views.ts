/**
 * Read-only requests answered by fanning out and merging: ps, info, version, prune, events (images:
 * image-list.ts).
 * A node that fails or misses the deadline never blocks the answer: its rows are shown as `Host Down`
 * (with `-a`) and an `X-Swarm-Warning` header names it.
 * @module
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Message } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import type { DockerArgs, DockerResult, DockerStreamResult } from '../docker/api.js';
import { redactSecrets } from '../secrets.js';
import type { Cluster, FanOutResult } from './cluster.js';
import { type DockerEvent, JsonLineSplitter, labelEvent } from './events.js';
import { childListQuery, parseListQuery } from './filters.js';
import { mergeContainerLists, type NodeRows } from './merge-containers.js';
import { mergeInfo, mergeVersion } from './merge-system.js';
import type { AggregateNode } from './node.js';

/** The aggregate's own version string. */
export const SERVER_VERSION = 'libswarm-ts-aggregate/0.1.0';

/** `GET /containers/json` across nodes. */
export async function listContainers(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const q = parseListQuery(args.query);
  const childQuery = childListQuery(q);
  const results = await cluster.fanOut('ls', () => ({ op: 'container.list', query: childQuery }));
  const perNode: NodeRows[] = [];
  for (const r of results) {
    if ('result' in r && r.result.status === 200 && Array.isArray(r.result.body)) {
      perNode.push({ node: r.node.name, rows: r.result.body });
      // An unfiltered full listing is the freshest truth about the node: keep it for routing.
      if (childQuery.all === '1' && !childQuery.filters) cluster.recordRows(r.node, r.result.body);
    } else perNode.push({ node: r.node.name, rows: r.node.rows, stale: true });
  }
  return withWarnings({ status: 200, body: mergeContainerLists(perNode, q) }, results);
}

/** `GET /info`: totals plus per-node state. */
export async function clusterInfo(
  cluster: Cluster,
  name: string,
  strategy: string,
  clock: Clock,
): Promise<DockerResult> {
  const results = await cluster.fanOut('get', () => ({ op: 'info', query: {} }));
  for (const r of results)
    if ('result' in r && r.result.status === 200) r.node.info = r.result.body as Record<string, unknown>;
  // updatedAt is on the monotonic clock; shown as wall time by offsetting to Date.now().
  const offset = Date.now() - clock.now();
  const body = mergeInfo(
    cluster.nodes.map((n) => ({
      name: n.name,
      // `docker info` shows each node's command: a remote child's --token must not go with it.
      command: redactSecrets(n.command),
      health: n.health,
      lastError: n.lastError === undefined ? undefined : redactSecrets(n.lastError),
      updatedAt: n.updatedAt === undefined ? undefined : n.updatedAt + offset,
      info: n.info,
    })),
    { name, strategy, serverVersion: SERVER_VERSION },
  );
  return { status: 200, body };
}

/** `GET /version`: the lowest API version among the nodes that answer. */
export async function clusterVersion(cluster: Cluster): Promise<DockerResult> {
  const results = await cluster.fanOut('get', () => ({ op: 'version', query: {} }));
  const versions = results.flatMap((r) =>
    'result' in r && r.result.status === 200 ? [r.result.body as Record<string, unknown>] : [],
  );
  return withWarnings({ status: 200, body: mergeVersion(versions, SERVER_VERSION) }, results);
}

/** `POST /containers/prune` on every node, reports summed. */
export async function pruneContainers(cluster: Cluster, args: DockerArgs): Promise<DockerResult> {
  const results = await cluster.fanOut(
    'prune',
    () => ({ op: 'container.prune', query: args.query }),
    cluster.nodes,
    cluster.changeDeadline,
  );
  const deleted: string[] = [];
  let reclaimed = 0;
  for (const r of results) {
    if (!('result' in r)) continue;
    const b = (r.result.body ?? {}) as { ContainersDeleted?: string[] | null; SpaceReclaimed?: number };
    deleted.push(...(b.ContainersDeleted ?? []));
    reclaimed += b.SpaceReclaimed ?? 0;
  }
  for (const id of deleted) cluster.directory.remove(id);
  return withWarnings(
    { status: 200, body: { ContainersDeleted: deleted, SpaceReclaimed: reclaimed } },
    results,
  );
}

/**
 * `GET /events`: one chunked stream of every reachable node's events, each labelled with its node.
 * Returns the merged stream, a function to inject the aggregate's own node events, and `nodeUp`, to
 * call when a node turns healthy: a node whose part is not open (it was down when the stream began,
 * or its daemon died and the part broke) is subscribed again, from then on.
 */
export async function mergedEvents(
  cluster: Cluster,
  args: DockerArgs,
): Promise<{ reply: Message; inject: (e: DockerEvent) => void; nodeUp: (node: AggregateNode) => void }> {
  const out = new PassThrough();
  // A history that ends in the past (`--until` before now) is gathered and written in time order across
  // nodes, as one daemon would; a live stream is written as it comes.
  const history = isPast(args.query.until) ? ([] as DockerEvent[]) : undefined;
  const inject = (e: DockerEvent) => {
    if (out.destroyed || out.writableEnded) return;
    if (history) history.push(e);
    else out.write(`${JSON.stringify(e)}\n`);
  };
  const end = () => {
    if (out.writableEnded) return;
    if (history) {
      history.sort((a, b) => eventTime(a) - eventTime(b));
      for (const e of history) out.write(`${JSON.stringify(e)}\n`);
    }
    out.end();
  };
  /** Each node's open part (or the subscription on its way), by node name. */
  const parts = new Map<string, Readable | 'opening'>();
  /** Parts opening or open: with `until`, the merged stream ends when the last one is over. */
  let live = 0;
  const partOver = () => {
    if (--live === 0 && args.query.until) end();
  };
  const subscribe = async (n: AggregateNode, query: DockerArgs['query']) => {
    parts.set(n.name, 'opening');
    live++;
    const m = await n.ask('watch', { op: 'events', query }).catch(() => undefined);
    const stream = m?.stream as Readable | undefined;
    if (!stream || out.destroyed) {
      stream?.destroy();
      parts.delete(n.name);
      partOver();
      return;
    }
    parts.set(n.name, stream);
    const split = new JsonLineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const e of split.push(chunk)) inject(labelEvent(e, n.name));
    });
    // A node's stream breaks when its daemon dies mid-body: that node's part ends (its health
    // machine reports the node down as an event of its own); the merged stream goes on. Without this
    // listener the 'error' would be unhandled and take the whole process down.
    stream.on('error', () => {});
    // A part is over at its 'end' (a bounded history: dockerd ends the body after `until`) or its
    // 'close' (broken), whichever comes first. Waiting for 'close' alone hung `docker events --since
    // … --until …` for ever: a child's ended body stays open (not destroyed) after its last byte.
    let over = false;
    const ended = () => {
      if (over) return;
      over = true;
      if (parts.get(n.name) === stream) parts.delete(n.name);
      // With `until`, every node's stream ends; end the merged one then, not before.
      partOver();
    };
    stream.on('end', ended);
    stream.on('close', ended);
  };
  await Promise.all(cluster.nodes.map((n) => subscribe(n, args.query)));
  out.on('close', () => {
    for (const p of parts.values()) if (p !== 'opening') p.destroy();
    parts.clear();
  });
  // Chaos test (daemon SIGKILLed and restarted under an open `docker events`): the dead node's part
  // ended and was never opened again, so the stream, still open, silently carried no more events from
  // that node once it was back (nor ever from a node that was down when the stream began). Now a node
  // turning healthy without an open part is subscribed again. Not with `until` (a bounded stream ends
  // when its parts do), and without `since`: events while the node was away are not replayed (the
  // engine_disconnect / engine_connect events mark the gap, as in classic Swarm).
  const nodeUp = (n: AggregateNode) => {
    if (args.query.until || out.destroyed || parts.has(n.name)) return;
    const { since: _since, ...live } = args.query;
    void subscribe(n, live);
  };
  const result: DockerStreamResult = {
    status: 200,
    headers: { 'Content-Type': 'application/json' },
    mode: 'chunked',
  };
  if (live === 0 && args.query.until) end();
  return { reply: { verb: 'ack', args: result, stream: out }, inject, nodeUp };
}

/** True when an events `until` (unix seconds, maybe with a fraction) is not in the future. */
function isPast(until: string | undefined): boolean {
  const t = Number(until);
  return until !== undefined && until !== '' && Number.isFinite(t) && t * 1000 <= Date.now();
}

/** An event's time in ns (ms precision is enough to order nodes' histories). */
function eventTime(e: DockerEvent): number {
  return e.timeNano ?? (e.time ?? 0) * 1e9;
}

/** Adds an `X-Swarm-Warning` header naming every node that did not answer. */
export function withWarnings(result: DockerResult, results: readonly FanOutResult[]): DockerResult {
  const failed = results.flatMap((r) => ('error' in r ? [`${r.node.name}: ${r.error.message}`] : []));
  if (failed.length === 0) return result;
  return {
    ...result,
    headers: { ...(result.headers ?? {}), 'X-Swarm-Warning': `nodes not answering: ${failed.join('; ')}` },
  };
}
