/**
 * `docker pull` through the aggregate: the pull goes to every healthy node at once and their progress is
 * merged into one stream, each line's `id` the node (`node2/<layer>`, as classic Swarm showed it). The
 * answer starts with the first node that begins pulling, so one slow or hung node never holds the others'
 * progress back. Every node that does not pull is named by a line of its own: not healthy when the pull
 * began (`not pulled: node node3 is down …`), refused (`pull failed: …`), or stopped answering mid-pull
 * (its part is ended as soon as its health leaves `healthy`). When no node can pull, the answer is the
 * first node's own (a 404 for an unknown image, as dockerd).
 * @module
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Message } from '../../actors/message.js';
import { replyOnce } from '../../actors/reply.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerArgs, DockerStreamResult } from '../docker/api.js';
import type { Cluster } from './cluster.js';
import { JsonLineSplitter } from './events.js';
import type { AggregateNode } from './node.js';

/** How often an open part checks that its node is still healthy, ms (the health probe's own pace). */
const WATCH_MS = 500;

const STREAM: DockerStreamResult = {
  status: 200,
  headers: { 'Content-Type': 'application/json' },
  mode: 'chunked',
};

/** `POST /images/create` without `fromSrc`: a pull on every healthy node, progress merged. */
export async function pullEverywhere(cluster: Cluster, message: Message, args: DockerArgs): Promise<void> {
  const healthy = cluster.nodes.filter((n) => n.health === 'healthy');
  const nodes = healthy.length ? healthy : cluster.nodes.filter((n) => n.reachable);
  if (nodes.length === 0)
    throw new SwarmError(ErrorCode.NodeDown, 'no node is reachable', { details: { status: 503 } });
  const out = new PassThrough();
  const line = (o: unknown) => {
    if (!out.writableEnded) out.write(`${JSON.stringify(o)}\n`);
  };
  for (const n of cluster.nodes.filter((x) => !nodes.includes(x))) {
    const why = n.lastError ? ` (${n.lastError})` : '';
    line({ id: n.name, status: `not pulled: node ${n.name} is ${n.health}${why}` });
  }
  const parts = new Set<Readable>();
  let unsettled = nodes.length;
  let streaming = false;
  let firstRefusal: Message | Error | undefined;
  /** The merged stream ends once every node has answered and every part has ended. */
  const endIfOver = () => {
    if (streaming && unsettled === 0 && parts.size === 0) out.end();
  };
  out.on('close', () => {
    for (const p of parts) p.destroy();
  });
  // Resolves at the first node that streams, or when every node has refused.
  await new Promise<void>((answered) => {
    const refused = (node: AggregateNode, m: Message | Error) => {
      firstRefusal ??= m;
      const text =
        m instanceof Error ? m.message : String((m.args as { message?: string }).message ?? m.verb);
      line({ id: node.name, status: `pull failed: ${text}` });
      unsettled--;
      endIfOver();
      if (unsettled === 0) answered();
    };
    for (const node of nodes) {
      node.ask('spawn', args, node.opDeadline).then(
        (m) => {
          if (m.verb !== 'ack' || !m.stream) return refused(node, m);
          merge(node, m.stream as Readable);
          streaming = true;
          unsettled--;
          answered();
        },
        (e: unknown) => refused(node, e instanceof Error ? e : new Error(String(e))),
      );
    }
  });
  if (!streaming) {
    // Nobody could pull: answer as the first node did.
    out.destroy();
    if (firstRefusal instanceof Error) throw firstRefusal;
    if (firstRefusal) await replyOnce(message, firstRefusal);
    return;
  }
  await replyOnce(message, { verb: 'ack', args: STREAM, stream: out });

  /** Adds one node's progress to the merged stream until it ends or the node stops being healthy. */
  function merge(node: AggregateNode, stream: Readable): void {
    if (out.destroyed) return void stream.destroy(); // the client left before this node answered
    parts.add(stream);
    const split = new JsonLineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const e of split.push(chunk)) {
        const ev = e as Record<string, unknown>;
        if (ev.errorDetail || ev.error) {
          // The CLI prints errorDetail's message: it names the node too.
          const detail = (ev.errorDetail ?? {}) as { message?: string };
          line({
            ...ev,
            error: `${node.name}: ${String(ev.error ?? detail.message ?? '')}`,
            errorDetail: { ...detail, message: `${node.name}: ${String(detail.message ?? ev.error ?? '')}` },
          });
        } else line({ ...ev, id: ev.id ? `${node.name}/${String(ev.id)}` : node.name });
      }
    });
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      parts.delete(stream);
      endIfOver();
    };
    // A node that hangs mid-pull sends nothing more and never ends: its part ends when it is unhealthy
    // (unreachable, for a node that was pulling without being healthy: the only ones left).
    const wasHealthy = node.health === 'healthy';
    const watch = () => {
      if (over) return;
      const fine = wasHealthy ? node.health === 'healthy' : node.reachable;
      if (fine) return void cluster.clock.setTimeout(watch, WATCH_MS);
      line({ id: node.name, status: `pull stopped: node ${node.name} is ${node.health}` });
      stream.destroy();
      done();
    };
    cluster.clock.setTimeout(watch, WATCH_MS);
    stream.on('error', done);
    stream.on('end', done);
    stream.on('close', done);
  }
}
