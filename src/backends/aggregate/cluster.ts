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
import { ContainerDirectory, type Owner } from './directory.js';
import type { ContainerRow } from './filters.js';
import type { HealthOptions, HealthState } from './health.js';
import { AggregateNode } from './node.js';

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
  readonly #nodes = new Map<string, AggregateNode>();
  readonly #opts: ClusterOptions;

  constructor(opts: ClusterOptions) {
    this.#opts = opts;
  }

  /** The nodes, in the order they were added. */
  get nodes(): AggregateNode[] {
    return [...this.#nodes.values()];
  }

  /** The node called `name`. */
  get(name: string): AggregateNode | undefined {
    return this.#nodes.get(name);
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
    node.stop();
    return true;
  }

  /** Sends one request to every node at once; each answers or fails within the deadline. */
  fanOut(verb: Verb, args: (node: AggregateNode) => DockerArgs, nodes = this.nodes): Promise<FanOutResult[]> {
    return Promise.all(
      nodes.map((node) =>
        node.result(verb, args(node)).then(
          (result) => ({ node, result }),
          (error: unknown) => ({ node, error: asSwarmError(error) }),
        ),
      ),
    );
  }

  /** Lists every node's containers (`all=1`), refreshing rows and the directory for those that answer. */
  async refresh(nodes = this.nodes): Promise<FanOutResult[]> {
    const results = await this.fanOut('ls', () => ({ op: 'container.list', query: { all: '1' } }), nodes);
    for (const r of results)
      if ('result' in r && r.result.status === 200) this.recordRows(r.node, r.result.body);
    return results;
  }

  /** Stores a node's full listing as its known rows and directory entries. */
  recordRows(node: AggregateNode, body: unknown): void {
    const rows = Array.isArray(body) ? (body as ContainerRow[]) : [];
    node.rows = rows;
    this.directory.replaceNode(
      node.name,
      rows.map((r) => ({ id: r.Id, names: r.Names ?? [] })),
    );
  }

  /** The owner of a container reference; refreshes once on a miss. Throws 404 when none. */
  async owner(ref: string): Promise<Owner> {
    const known = this.directory.resolve(ref);
    if (known) return known;
    await this.refresh(this.nodes.filter((n) => n.reachable));
    const found = this.directory.resolve(ref);
    if (found) return found;
    throw new SwarmError(ErrorCode.NotFound, `No such container: ${ref}`, { details: { status: 404 } });
  }

  /** Stops every node. */
  stop(): void {
    for (const name of [...this.#nodes.keys()]) this.remove(name);
  }
}

/** Anything thrown, as a SwarmError. */
export function asSwarmError(e: unknown): SwarmError {
  if (e instanceof SwarmError) return e;
  return new SwarmError(ErrorCode.Remote, e instanceof Error ? e.message : String(e));
}
