/**
 * The `aggregate` stage: many Docker daemons (or any stages that speak the Docker verbs) as one.
 * Each argument is a whole child stage command, built with `ctx.spawnStage` and supervised by a health
 * machine. Lists fan out and merge within a deadline; per-container calls go to the owning node; creates
 * are placed by classic Swarm rules and strategies. Children can be added and removed at run time with a
 * `control` message (`{action:'add', command, name?}`, `{action:'remove', name}`, `{action:'list'}`) or
 * a `--nodes-file` that is re-read when it changes.
 * @module
 */
import type { Message } from '../actors/message.js';
import { replyError, replyOnce } from '../actors/reply.js';
import { ErrorCode, SwarmError } from '../errors.js';
import { type AggregateArgs, type NodeSpec, parseAggregateArgs } from './aggregate/args.js';
import { asSwarmError, Cluster } from './aggregate/cluster.js';
import { type ControlArgs, controlCluster } from './aggregate/control.js';
import { createContainer } from './aggregate/create.js';
import { type DockerEvent, nodeEvent } from './aggregate/events.js';
import { Followers } from './aggregate/follow.js';
import type { HealthOptions } from './aggregate/health.js';
import { imageCall, pushedRef } from './aggregate/image-calls.js';
import { imageHolder } from './aggregate/image-holders.js';
import type { AggregateNode } from './aggregate/node.js';
import { type NodeLine, nameNodeLines, readNodesFile, watchNodesFile } from './aggregate/nodes-file.js';
import { createObject, diskUsage, listObjects, pruneAll, routeObject } from './aggregate/object-calls.js';
import { listPlugins, pluginTarget } from './aggregate/plugin-calls.js';
import { swarmTarget } from './aggregate/swarm-calls.js';
import {
  clusterInfo,
  clusterVersion,
  listContainers,
  mergedEvents,
  pruneContainers,
} from './aggregate/views.js';
import {
  type DockerArgs,
  type DockerOp,
  type DockerResult,
  ROUTES,
  replySet,
  resultBody,
  routeOf,
} from './docker/api.js';
import { statusOf } from './docker/http-errors.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

/** The inspect op of each kind of object a `holder` route addresses (`image` → `image.inspect`). */
const INSPECT_OF: ReadonlyMap<string, DockerOp> = new Map(
  ROUTES.filter((r) => r.op.endsWith('.inspect')).map((r) => [r.object, r.op]),
);

export type { ControlArgs } from './aggregate/control.js';

/** Route families of swarm mode: served by a swarm manager (swarm-calls.ts). */
const SWARM_OBJECTS: ReadonlySet<string> = new Set(['swarm', 'node', 'service', 'task', 'secret', 'config']);

/** Test and embedding hooks not reachable from the command line. */
export interface AggregateHooks {
  health?: Partial<HealthOptions>;
  random?: () => number;
  /** How often the nodes file is polled, ms (default 500). */
  nodesFilePollMs?: number;
}

/** Builds an aggregate instance from parsed arguments (exported for tests that tune health timing). */
export function createAggregate(
  parsed: AggregateArgs,
  ctx: StageContext,
  hooks: AggregateHooks = {},
): StageInstance {
  const spawn = ctx.spawnStage;
  if (!spawn)
    throw new SwarmError(ErrorCode.InvalidArgument, 'aggregate: this chain cannot spawn child stages');
  /** Open `docker events` streams: each gets the aggregate's node events, and is told when a node is back. */
  const watchers = new Set<{ inject: (e: DockerEvent) => void; nodeUp: (node: AggregateNode) => void }>();
  /** Each healthy node's event stream, kept open to keep the directories current (follow.ts). */
  let followers: Followers | undefined;
  const cluster = new Cluster({
    clock: ctx.clock,
    deadline: parsed.deadline,
    opDeadline: parsed.opDeadline,
    spawn,
    health: hooks.health,
    onHealthChange: (node, from, to) => {
      ctx.log.info({ node: node.name, from, to, error: node.lastError }, 'aggregate node health');
      const action = to === 'healthy' ? 'engine_connect' : to === 'down' ? 'engine_disconnect' : undefined;
      if (action) for (const w of watchers) w.inject(nodeEvent(action, node.name, Date.now()));
      if (to === 'healthy') for (const w of watchers) w.nodeUp(node);
      if (to === 'healthy') followers?.nodeUp(node);
    },
  });
  followers = new Followers(cluster, ctx.clock);
  const rank = { strategy: parsed.strategy, random: hooks.random };
  let stopWatching: (() => void) | undefined;

  async function sync(specs: NodeSpec[], keep: ReadonlySet<string>): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.name, s]));
    for (const n of cluster.nodes) {
      const want = wanted.get(n.name);
      if (!keep.has(n.name) && (!want || want.command !== n.command)) cluster.remove(n.name);
    }
    await Promise.all(specs.filter((s) => !cluster.get(s.name)).map((s) => cluster.add(s)));
  }

  /** A call about one container: forwarded to the node that holds it (named by the path or the query). */
  async function route(message: Message, args: DockerArgs, byQuery?: string): Promise<void> {
    const named = (byQuery ? args.query[byQuery] : args.id) ?? '';
    const owner = await cluster.owner(named);
    const node = cluster.get(owner.node);
    if (!node)
      throw new SwarmError(ErrorCode.NotFound, `No such container: ${named}`, { details: { status: 404 } });
    if (!node.reachable) {
      throw new SwarmError(
        ErrorCode.NodeDown,
        `Container ${named} is on node ${node.name}, which is ${node.health}${node.lastError ? ` (${node.lastError})` : ''}`,
        {
          details: { node: node.name, status: 503 },
        },
      );
    }
    let release: (() => void) | undefined;
    const newName = args.op === 'container.rename' ? args.query.name : undefined;
    if (newName) release = cluster.directory.reserveName(newName);
    const rewritten = byQuery
      ? { ...args, query: { ...args.query, [byQuery]: owner.id } }
      : { ...args, id: owner.id };
    node.forward(message, rewritten, (first) => {
      // No reply (deadline, node down): only the reservation is released.
      const ok =
        first !== undefined && first.verb !== 'error' && ((first.args as DockerResult).status ?? 200) < 300;
      if (ok && args.op === 'container.remove') cluster.directory.remove(owner.id);
      if (ok && newName) cluster.directory.rename(owner.id, newName);
      if (ok && args.op === 'container.exec') {
        const execId = (resultBody(first.args as DockerResult) as { Id?: string } | undefined)?.Id;
        if (execId) cluster.directory.rememberExec(execId, node.name);
      }
      release?.();
    });
  }

  async function execOwner(execId: string) {
    const known = cluster.directory.execNode(execId);
    const node = known ? cluster.get(known) : undefined;
    if (node) return node;
    // Not made through us (or we restarted): ask every node; the one that knows it answers 200.
    const results = await cluster.fanOut('get', () => ({ op: 'exec.inspect', id: execId, query: {} }));
    const hit = results.find((r) => 'result' in r && r.result.status === 200);
    if (!hit)
      throw new SwarmError(ErrorCode.NotFound, `No such exec instance: ${execId}`, {
        details: { status: 404 },
      });
    cluster.directory.rememberExec(execId, hit.node.name);
    return hit.node;
  }

  async function dispatch(message: Message): Promise<void> {
    if (message.verb === 'control') {
      replySet(message.ret, await controlCluster(cluster, message.args as ControlArgs));
      return;
    }
    const args = message.args as DockerArgs;
    switch (args.op) {
      case 'ping': {
        // Every CLI command starts with a ping: ask a healthy node, at the short deadline.
        const up =
          cluster.nodes.find((n) => n.health === 'healthy') ?? cluster.nodes.find((n) => n.reachable);
        if (up) up.forward(message, args, undefined, false);
        else replySet(message.ret, { status: 200, body: 'OK' });
        return;
      }
      case 'version':
        return replySet(message.ret, await clusterVersion(cluster));
      case 'info':
        return replySet(message.ret, await clusterInfo(cluster, ctx.name, parsed.strategy, ctx.clock));
      case 'container.list':
        return replySet(message.ret, await listContainers(cluster, args));
      case 'container.prune':
        return replySet(message.ret, await pruneContainers(cluster, args));
      case 'container.create':
        return replySet(
          message.ret,
          await createContainer(cluster, args, { strategy: parsed.strategy, random: hooks.random }),
        );
      case 'events': {
        const { reply, inject, nodeUp } = await mergedEvents(cluster, args);
        const watcher = { inject, nodeUp };
        watchers.add(watcher);
        reply.stream?.on('close', () => watchers.delete(watcher));
        await replyOnce(message, reply);
        return;
      }
      case 'network.list':
      case 'volume.list':
        return replySet(
          message.ret,
          await listObjects(cluster, args.op === 'network.list' ? 'network' : 'volume', args),
        );
      case 'system.df':
        return replySet(message.ret, await diskUsage(cluster, args));
      case 'network.prune':
      case 'volume.prune':
      case 'image.prune':
      case 'image.build.prune':
        return replySet(message.ret, await pruneAll(cluster, args));
      case 'network.create':
      case 'volume.create':
        return createObject(
          cluster,
          args.op === 'network.create' ? 'network' : 'volume',
          message,
          args,
          rank,
        );
      case 'network.inspect':
      case 'network.remove':
      case 'network.connect':
      case 'network.disconnect':
        return routeObject(cluster, 'network', message, args);
      case 'volume.inspect':
      case 'volume.remove':
        return routeObject(cluster, 'volume', message, args);
      case 'plugin.list':
        return replySet(message.ret, await listPlugins(cluster, args));
      default:
        if (await imageCall(cluster, message, args, rank)) return;
        return byTable(message, args);
    }
  }

  /** Everything the aggregate does not merge itself goes where the route table's fan-out says. */
  async function byTable(message: Message, args: DockerArgs): Promise<void> {
    const row = routeOf(args.op);
    if (row && SWARM_OBJECTS.has(row.object))
      return (await swarmTarget(cluster, args.op)).forward(message, args);
    // A plugin lives on the nodes that installed it (`node/name` picks one); create/install on one node.
    if (
      row?.object === 'plugin' &&
      (args.id || args.op === 'plugin.create' || args.op === 'plugin.install')
    ) {
      const target = await pluginTarget(cluster, args);
      return target.node.forward(message, target.args);
    }
    switch (row?.fanout) {
      case 'container':
        return route(message, args, row.containerQuery);
      case 'exec':
        return (await execOwner(args.id ?? '')).forward(message, args);
      case 'holder': {
        if (row.object !== 'image') return (await holder(row.object, args.id ?? '')).forward(message, args);
        const ref = args.op === 'image.push' ? pushedRef(cluster, args) : (args.id ?? '');
        const target = await imageHolder(cluster, args, ref);
        return target.node.forward(message, target.args);
      }
      case 'any': {
        // Served by one reachable node (a targeted pull, a build, the daemon-local families).
        const target = cluster.nodes.find((n) => n.reachable);
        if (!target)
          throw new SwarmError(ErrorCode.NodeDown, 'no node is reachable', { details: { status: 503 } });
        target.forward(message, args);
        return;
      }
      default:
        throw new SwarmError(ErrorCode.NotImplemented, `aggregate: ${String(args.op)} is not routed`, {
          details: { status: 501 },
        });
    }
  }

  /** The first reachable node that knows the image, network or volume `name` (its inspect answers 200). */
  async function holder(object: string, name: string) {
    const op = INSPECT_OF.get(object);
    for (const n of cluster.nodes.filter((x) => x.reachable)) {
      if (!op) return n;
      const r = await n.result('get', { op, id: name, query: {} }).catch(() => undefined);
      if (r?.status === 200) return n;
    }
    throw new SwarmError(ErrorCode.NotFound, `No such ${object}: ${name}`, { details: { status: 404 } });
  }

  return {
    async start() {
      await sync(parsed.nodes, new Set());
      const file = parsed.nodesFile;
      if (!file) return;
      const fromArgs = new Set(parsed.nodes.map((s) => s.name));
      const fromFile = (lines: NodeLine[]) => [
        ...parsed.nodes,
        ...nameNodeLines(
          lines,
          cluster.nodes.filter((n) => !fromArgs.has(n.name)),
          fromArgs,
        ),
      ];
      await sync(fromFile(await readNodesFile(file)), new Set());
      // One sync at a time, in file order: a quick second edit must not race the first one's spawns.
      let applying = Promise.resolve();
      stopWatching = watchNodesFile(
        file,
        (lines) => {
          applying = applying
            .then(() => sync(fromFile(lines), fromArgs))
            .then(
              () =>
                ctx.log.info(
                  { file, nodes: cluster.nodes.map((n) => n.name) },
                  'aggregate: nodes file applied',
                ),
              (err) =>
                ctx.log.error(
                  { err, file },
                  `aggregate: nodes file ${file} not fully applied: ${errorText(err)}`,
                ),
            );
        },
        (err) => ctx.log.error({ err, file }, `aggregate: nodes file not applied: ${errorText(err)}`),
        hooks.nodesFilePollMs,
      );
    },
    async handle(message) {
      try {
        await dispatch(message);
      } catch (err) {
        const e = asSwarmError(err);
        replyError(message, e, { status: statusOf(e) });
      }
    },
    async stop() {
      followers?.stop();
      stopWatching?.();
      stopWatching = undefined;
      cluster.stop();
    },
    describe() {
      return `aggregating ${cluster.nodes.length} nodes (${parsed.strategy}, deadline ${parsed.deadline} ms)`;
    },
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The stage definition registered under `aggregate`. */
export const aggregateStage: StageDefinition = {
  name: 'aggregate',
  summary: 'many Docker daemons as one: merged lists, routed calls, placement, health-supervised children',
  usage:
    'aggregate "<stage command>" … [--strategy spread|binpack|random] [--deadline ms] [--op-deadline ms] [--nodes-file F]',
  example: `aggregate "dockerclient unix:///run/n1.sock" "dockerclient unix:///run/n2.sock" --strategy spread`,
  help: [
    'Each positional argument is a complete child stage command (optionally "name=command").',
    'Placement reads classic Swarm rules from the create Env: -e constraint:key==value, !=, globs, /regex/,',
    '==~ (soft), affinity:container==x, affinity:image==y. Every call to a child has a deadline; a child that',
    'misses it is marked degraded, then down, and probed with capped backoff until it answers again.',
    '--deadline (default 1000 ms) bounds reads, lists and probes; --op-deadline (default 30000 ms) bounds',
    'calls that change a container (create, start, stop + its -t, rm, …), which a busy daemon may take seconds on;',
    'a call still waiting when its node is declared down fails then (503 naming the node), not at the deadline.',
    '--nodes-file F: one command per line ("name=command" to name it), re-read on change; a file with a bad',
    'line is refused as a whole and the running nodes kept. A `control` message adds or removes children.',
    'Nodes added at run time (control, --nodes-file) can only be dockerclient, remote or simulator: never a stage',
    'that runs a program or opens a listener. Each node is a supervised child: one that keeps crashing gives up',
    'alone (the others keep serving) and is rebuilt after 1 s, doubling to 30 s.',
  ].join('\n'),
  create(args, ctx) {
    return createAggregate(parseAggregateArgs(args), ctx);
  },
};
