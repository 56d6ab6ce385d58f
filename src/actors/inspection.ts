/**
 * Inspection of a running supervision tree: a plain-data snapshot of every supervisor and actor under
 * a root (state, mailbox depth and capacity, messages received, handlers in flight, restarts, failures,
 * last error) for dashboards and metrics exporters. Everything is read from counters the runtime keeps
 * anyway (mailbox counters, supervisor entries), so the message path pays nothing for it: take a
 * snapshot as often as you sample (e.g. once a second), never per message.
 * @module
 */
import type { AnyActorRef } from './actor-ref.js';
import type { ActorContext } from './behavior.js';
import type { ChildView, RestartType, Supervisor, SupervisorStatus } from './supervisor.js';

/** What two kinds of tree node share: where they hang and how often they exited abnormally. */
interface NodeBase {
  /** The child id under its parent (for a stage: the stage's name). */
  id: string;
  /** Ids from the root down to this node, joined with `/` (`chain/aggregate#2/children/n1/n1`). */
  path: string;
  /** Restart type under its parent; the root has none. */
  restart?: RestartType;
  /** Restarts of this child by its parent so far. */
  restarts: number;
  /** Abnormal exits so far. */
  failures: number;
  /** The last abnormal exit's message, and its clock time (ms). */
  lastError?: string;
  lastErrorAt?: number;
}

/** One actor in a {@link TreeSnapshot}. */
export interface ActorSnapshot extends NodeBase {
  kind: 'actor';
  /** Lifecycle state (xstate lifecycle machine): `running`, `restarting`, `stopped`, `failed`, … */
  state: string;
  /** Messages waiting in the mailbox, and its capacity. */
  mailboxDepth: number;
  mailboxCapacity: number;
  /** Most messages ever queued at once. */
  mailboxHighWater: number;
  /** Senders waiting for room (backpressure). */
  blockedSenders: number;
  /** Messages taken from the mailbox by this actor (this cell's life; a rebuilt actor starts at 0). */
  received: number;
  /** Async handlers running now (counted for actors with `concurrency` > 1). */
  inFlight: number;
  /** Messages that became dead letters at this mailbox (dropped by policy, or orphaned). */
  dropped: number;
}

/** One supervisor in a {@link TreeSnapshot}, with its children in start order. */
export interface SupervisorSnapshot extends NodeBase {
  kind: 'supervisor';
  status: SupervisorStatus;
  /** Times it gave up (restart intensity exceeded). */
  giveUps: number;
  children: TreeSnapshot[];
}

/** A node of the supervision tree as plain data (JSON-serialisable). */
export type TreeSnapshot = ActorSnapshot | SupervisorSnapshot;

/**
 * Snapshots the tree under `root`: the root supervisor, its nested supervisors and actors, in start
 * order. Cost is one small object per node; call it when sampling.
 *
 * @example
 * const tree = inspectTree(chain.supervisor);
 * for (const a of actorsOf(tree)) console.log(a.path, a.state, a.mailboxDepth, a.received);
 */
export function inspectTree(root: Supervisor): SupervisorSnapshot {
  return supervisorSnapshot(root, root.name, root.name, undefined);
}

/**
 * Messages an actor has taken from its mailbox so far (this cell's life), given the context its
 * `receive` gets; undefined for a context that is not a runtime actor. Read from the counter the
 * mailbox keeps anyway, so a sampler can weigh one sampled message by the messages since the last
 * instead of counting each one.
 */
export function messagesTaken<T>(actor: ActorContext<T>): number | undefined {
  const counters = (actor as { counters?: () => { delivered: number } }).counters;
  return typeof counters === 'function' ? counters.call(actor).delivered : undefined;
}

/** Every actor in `tree`, depth first. */
export function actorsOf(tree: TreeSnapshot): ActorSnapshot[] {
  const out: ActorSnapshot[] = [];
  const walk = (n: TreeSnapshot) => {
    if (n.kind === 'actor') out.push(n);
    else for (const c of n.children) walk(c);
  };
  walk(tree);
  return out;
}

function supervisorSnapshot(
  sup: Supervisor,
  id: string,
  path: string,
  view: ChildView | undefined,
): SupervisorSnapshot {
  const children: TreeSnapshot[] = [];
  for (const child of sup.childViews()) {
    const childPath = `${path}/${child.id}`;
    if (child.supervisor) children.push(supervisorSnapshot(child.supervisor, child.id, childPath, child));
    else if (child.ref) children.push(actorSnapshot(child.ref, childPath, child));
  }
  return { kind: 'supervisor', ...base(id, path, view), status: sup.status, giveUps: sup.giveUps, children };
}

function actorSnapshot(ref: AnyActorRef, path: string, view: ChildView): ActorSnapshot {
  const cell = ref._cell;
  const c = cell.counters();
  return {
    kind: 'actor',
    ...base(view.id, path, view),
    state: cell.lifecycle,
    mailboxDepth: cell.size,
    mailboxCapacity: cell.capacity,
    mailboxHighWater: c.highWater,
    blockedSenders: cell.blockedSenders,
    received: c.delivered,
    inFlight: cell.inFlight,
    dropped: c.droppedHead + c.droppedTail + c.orphaned,
  };
}

function base(id: string, path: string, view: ChildView | undefined): NodeBase {
  const b: NodeBase = { id, path, restarts: view?.restarts ?? 0, failures: view?.failures ?? 0 };
  if (view) b.restart = view.restart;
  if (view?.lastError) {
    b.lastError = view.lastError.message;
    b.lastErrorAt = view.lastErrorAt;
  }
  return b;
}
