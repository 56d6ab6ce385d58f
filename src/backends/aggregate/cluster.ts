/**
 * The node table: children added and removed at run time, fan-out with per-node deadlines, and owner
 * lookup that refreshes the directory once on a miss (a container may have been made behind our back).
 * @module
 */
import type { Message, Verb } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import type { DockerArgs, DockerResult } from '../docker/api.js';
import type { NodeSpec } from './args.js';
import { SharedDeadline } from './calls.js';
import { ContainerDirectory, type Owner } from './directory.js';
import type { ContainerRow } from './filters.js';
import type { HealthOptions, HealthState } from './health.js';
import { AggregateNode } from './node.js';
import { ObjectDirectory } from './objects.js';

/** One node's outcome in a fan-out. */
export type FanOutResult =
  | { node: AggregateNode; result: DockerResult }
  | { node: AggregateNode; error: SwarmError };

/** What the cluster needs from the stage. */
export interface ClusterOptions {
  clock: Clock;
  deadline: number;
  /** Deadline of container-changing calls (see `AggregateArgs.opDeadline`). */
  opDeadline?: number;
  spawn: (command: string, name: string) => Promise<Sender<Message>>;
  health?: Partial<HealthOptions>;
  onHealthChange?: (node: AggregateNode, from: HealthState, to: HealthState) => void;
}

/** All children of one aggregate. */
export class Cluster {
  readonly directory = new ContainerDirectory();
  /** Where each network and volume lives. */
  readonly objects = new ObjectDirectory();
  readonly #nodes = new Map<string, AggregateNode>();
  readonly #opts: ClusterOptions;
  /** The listing each node's directory entries were last built from, and the directory's change mark then. */
  readonly #indexed = new WeakMap<AggregateNode, { rows: ContainerRow[]; changes: number }>();
  /** Containers of removed nodes (id, short id, name → node), so a call for one says where it went. */
  readonly #removed = new Map<string, string>();

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
  }

  /** The aggregate's clock (deadlines, watch timers). */
  get clock(): Clock {
    return this.#opts.clock;
  }

  /** The nodes, in the order they were added. */
  get nodes(): AggregateNode[] {
    return [...this.#nodes.values()];
  }

  /** The node called `name`. */
  get(name: string): AggregateNode | undefined {
    return this.#nodes.get(name);
  }

  /**
   * `node/rest` split when `node` is one of the nodes (classic Swarm's way to name one node's object:
   * `node2/app:1`); `undefined` for any other reference (`myorg/app:1`).
   */
  nodePrefixed(ref: string): { node: AggregateNode; rest: string } | undefined {
    const slash = ref.indexOf('/');
    const node = slash > 0 ? this.#nodes.get(ref.slice(0, slash)) : undefined;
    return node ? { node, rest: ref.slice(slash + 1) } : undefined;
  }

  /** Spawns a child and starts supervising it. Throws `SWARM_ERR_CONFLICT` if the name is in use. */
  async add(spec: NodeSpec): Promise<AggregateNode> {
    if (this.#nodes.has(spec.name))
      throw new SwarmError(ErrorCode.Conflict, `node ${spec.name} already exists`);
    const address = await this.#opts.spawn(spec.command, spec.name);
    if (this.#nodes.has(spec.name)) {
      address.close();
      throw new SwarmError(ErrorCode.Conflict, `node ${spec.name} already exists`);
    }
    const node = new AggregateNode({
      ...spec,
      address,
      clock: this.#opts.clock,
      deadline: this.#opts.deadline,
      opDeadline: this.#opts.opDeadline,
      health: this.#opts.health,
      onHealthChange: this.#opts.onHealthChange,
    });
    this.#nodes.set(spec.name, node);
    return node;
  }

  /** Stops and forgets a node. Returns false when there was none. */
  remove(name: string): boolean {
    const node = this.#nodes.get(name);
    if (!node) return false;
    this.#nodes.delete(name);
    this.directory.removeNode(name);
    this.objects.removeNode(name);
    for (const r of node.rows) {
      for (const ref of [r.Id, r.Id.slice(0, 12), ...(r.Names ?? []).map(stripSlash)]) {
        this.#removed.delete(ref); // re-inserted last: the map drops its oldest entries first
        this.#removed.set(ref, name);
      }
    }
    for (const ref of this.#removed.keys()) {
      if (this.#removed.size <= REMOVED_MAX) break;
      this.#removed.delete(ref);
    }
    node.stop();
    return true;
  }

  /**
   * The deadline of calls that change something on every node at once (rmi, tag, prunes): the op
   * deadline, as a daemon may take seconds to delete; a hung node still fails them when it is declared
   * down (~2.5 s), as every call in flight to it is cut then.
   */
  get changeDeadline(): number {
    return this.#opts.opDeadline ?? this.#opts.deadline;
  }

  /**
   * Sends one request to every node at once; each answers or fails within the deadline (`deadlineMs`,
   * the list deadline unless given). One timer
   * serves the whole fan-out (not one per node): at 1,000 nodes the per-node timers were a visible
   * part of a listing's cost, and every node shares the same deadline anyway.
   */
  fanOut(
    verb: Verb,
    args: (node: AggregateNode) => DockerArgs,
    nodes = this.nodes,
    deadlineMs = this.#opts.deadline,
  ): Promise<FanOutResult[]> {
    const clock = this.#opts.clock;
    return new Promise((resolve) => {
      const out = new Array<FanOutResult>(nodes.length);
      let left = nodes.length;
      if (left === 0) return resolve(out);
      const deadline = new SharedDeadline();
      const timer = clock.setTimeout(() => deadline.fire(), deadlineMs);
      // Callbacks, not a promise per node: a 1,000-node listing made 4 promises per node before.
      nodes.forEach((node, i) => {
        const a = args(node);
        node.call(
          verb,
          a,
          (reply, err) => {
            let error = err;
            if (reply) {
              try {
                out[i] = { node, result: node.toResult(reply, a) };
              } catch (e) {
                error = asSwarmError(e);
              }
            }
            if (error) out[i] = { node, error };
            if (--left === 0) {
              clock.clearTimeout(timer);
              resolve(out);
            }
          },
          deadlineMs,
          deadline,
        );
      });
    });
  }

  /** Lists every node's containers (`all=1`), refreshing rows and the directory for those that answer. */
  async refresh(nodes = this.nodes): Promise<FanOutResult[]> {
    const results = await this.fanOut('ls', () => ({ op: 'container.list', query: { all: '1' } }), nodes);
    for (const r of results)
      if ('result' in r && r.result.status === 200) this.recordRows(r.node, r.result.body);
    return results;
  }

  /**
   * Stores a node's full listing as its known rows and directory entries. The directory is rebuilt
   * only when the ids or names differ from the last indexed listing (or the directory changed since):
   * most listings of most nodes change nothing, and re-indexing 10,000 rows on every `ps -a` was the
   * largest part of the aggregate's own cost at 1,000 nodes.
   */
  recordRows(node: AggregateNode, body: unknown): void {
    const rows = Array.isArray(body) ? (body as ContainerRow[]) : [];
    const indexed = this.#indexed.get(node);
    node.rows = rows;
    if (
      indexed &&
      indexed.changes === this.directory.changesOf(node.name) &&
      sameIdsAndNames(indexed.rows, rows)
    )
      return;
    this.directory.replaceNode(
      node.name,
      rows.map((r) => ({ id: r.Id, names: r.Names ?? [] })),
    );
    this.#indexed.set(node, { rows, changes: this.directory.changesOf(node.name) });
  }

  /** The owner of a container reference; refreshes once on a miss. Throws 404 when none. */
  async owner(ref: string): Promise<Owner> {
    const known = this.directory.resolve(ref);
    if (known) return known;
    await this.refresh(this.nodes.filter((n) => n.reachable));
    const found = this.directory.resolve(ref);
    if (found) return found;
    const was = this.#removed.get(stripSlash(ref));
    const why =
      was && !this.#nodes.has(was) ? ` (it was on node ${was}, which was removed from the aggregate)` : '';
    throw new SwarmError(ErrorCode.NotFound, `No such container: ${ref}${why}`, {
      details: { status: 404, ...(why ? { node: was } : {}) },
    });
  }

  /** Stops every node. */
  stop(): void {
    for (const name of [...this.#nodes.keys()]) this.remove(name);
  }
}

/** How many references to containers of removed nodes are remembered for error messages. */
const REMOVED_MAX = 10_000;

function stripSlash(name: string): string {
  return name.startsWith('/') ? name.slice(1) : name;
}

/** True when both listings have the same containers with the same names, in the same order. */
function sameIdsAndNames(a: readonly ContainerRow[], b: readonly ContainerRow[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ContainerRow;
    const y = b[i] as ContainerRow;
    if (x.Id !== y.Id) return false;
    const xn = x.Names ?? [];
    const yn = y.Names ?? [];
    if (xn.length !== yn.length) return false;
    for (let j = 0; j < xn.length; j++) if (xn[j] !== yn[j]) return false;
  }
  return true;
}

/** Anything thrown, as a SwarmError. */
export function asSwarmError(e: unknown): SwarmError {
  if (e instanceof SwarmError) return e;
  return new SwarmError(ErrorCode.Remote, e instanceof Error ? e.message : String(e));
}
