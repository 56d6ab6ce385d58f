/**
 * What the admin page and `/api/tree` show: the chain's supervision tree (from the runtime's
 * `inspectTree`), each actor's rates from its mailbox counters, its stage's request latency and
 * counts ({@link RequestStats}), an aggregate node's daemon health, and a history of the last
 * {@link HISTORY} samples. {@link AdminModel.tick} samples once; the server calls it every second.
 * @module
 */
import {
  type ActorSnapshot,
  actorsOf,
  inspectTree,
  type SupervisorSnapshot,
  type TreeSnapshot,
} from '../../actors/inspection.js';
import type { Chain } from '../../backends/chain.js';
import type { HealthReport, StageActor } from '../../backends/stage-actor.js';
import type { Clock } from '../../clock.js';
import { version } from '../help.js';
import { type DaemonLinks, daemonLinks, type LinkView, linkOf } from './links.js';
import type { RequestStats } from './requests.js';

export { type DaemonLinks, daemonLinks, LINK_STATES, type LinkView, linkOf } from './links.js';

/** Points of history kept per actor (one per sample: 2 minutes at 1 s). */
export const HISTORY = 120;

/** An actor or supervisor as the page shows it. */
export type NodeView = (ActorView | SupervisorView) & { health?: HealthReport };

/** An actor with its rates, latency and history. */
export interface ActorView extends ActorSnapshot {
  /** Messages received per second over the last sample. */
  rate: number;
  /** Its stage's time to first reply over the last sample, ms (absent when no request finished). */
  p50?: number;
  p99?: number;
  /** Requests its stage's handler took, and those answered with an error or 5xx (all time). */
  requests: number;
  errors: number;
  history: { rate: number[]; p50: (number | null)[]; p99: (number | null)[] };
  /** A dockerclient stage's long-lived streams (attach, logs -f, events…) open now, and its limits. */
  daemon?: DaemonLinks;
  /** A `listen` stage's sessions, or a `remote` stage's link to its listen. */
  link?: LinkView;
}

/** A supervisor with its children as views. */
export interface SupervisorView extends Omit<SupervisorSnapshot, 'children'> {
  children: NodeView[];
}

/** The whole page's data: `/api/tree` and every SSE event. */
export interface AdminView {
  /** Clock time of the sample, ms. */
  time: number;
  startedAt: number;
  version: string;
  /** `/readyz`: every stage running and each aggregate with a healthy node; else why not. */
  ready: boolean;
  notReady: string[];
  system: { spawned: number; terminated: number; live: number };
  deadLetters: Record<string, number>;
  tree: SupervisorView;
}

interface Past {
  received: number;
  /** Messages received by earlier cells at this path (an actor rebuilt by its supervisor starts at 0). */
  carried: number;
  history: ActorView['history'];
}

/** Samples a chain for the admin server. */
export class AdminModel {
  readonly #chain: Chain;
  readonly #stats: RequestStats;
  readonly #clock: Clock;
  readonly #past = new Map<string, Past>();
  readonly #startedAt: number;
  #lastTick: number;
  #view: AdminView | undefined;

  constructor(chain: Chain, stats: RequestStats, clock: Clock) {
    this.#chain = chain;
    this.#stats = stats;
    this.#clock = clock;
    this.#startedAt = clock.now();
    this.#lastTick = this.#startedAt;
  }

  /** The last sample (taking one if none was taken yet). */
  get view(): AdminView {
    return this.#view ?? this.tick();
  }

  /** Takes a sample: tree, rates since the last one, latency windows, history. */
  tick(): AdminView {
    const now = this.#clock.now();
    const seconds = Math.max(0.001, (now - this.#lastTick) / 1000);
    this.#lastTick = now;
    const stages = this.#stagesByName();
    const tree = this.#supervisor(inspectTree(this.#chain.supervisor), stages, seconds);
    // Stages start last to first; show them in chain order, as typed on the command line.
    const order = this.#chain.stages.map((s) => s.name);
    tree.children.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    const notReady = this.#readiness(tree, stages);
    const view: AdminView = {
      time: now,
      startedAt: this.#startedAt,
      version: version(),
      ready: notReady.length === 0,
      notReady,
      system: this.#chain.system.counters(),
      deadLetters: { ...this.#chain.system.deadLetters.counters() },
      tree,
    };
    this.#view = view;
    return view;
  }

  /**
   * Copies the daemons' current health into the last sample, without taking a new one; true when it
   * changed, so a health change reaches the page between two samples (the server checks every 100 ms).
   */
  refreshHealth(): boolean {
    const view = this.#view;
    if (view === undefined) return false;
    const stages = this.#stagesByName();
    let changed = false;
    const walk = (n: NodeView) => {
      if (n.kind === 'supervisor') {
        for (const c of n.children) walk(c);
        return;
      }
      const h = stages.get(n.id)?.health;
      if (h && (h.state !== n.health?.state || h.reason !== n.health?.reason)) {
        n.health = { ...h };
        changed = true;
      }
    };
    walk(view.tree);
    if (changed) view.notReady = this.#readiness(view.tree, stages);
    if (changed) view.ready = view.notReady.length === 0;
    return changed;
  }

  /** Messages received per actor path, all time (monotonic across rebuilds), for `/metrics`. */
  receivedTotals(): Map<string, { actor: ActorSnapshot; total: number }> {
    const out = new Map<string, { actor: ActorSnapshot; total: number }>();
    for (const a of actorsOf(inspectTree(this.#chain.supervisor))) {
      const past = this.#past.get(a.path);
      const carried = past ? past.carried + (a.received < past.received ? past.received : 0) : 0;
      out.set(a.path, { actor: a, total: carried + a.received });
    }
    return out;
  }

  /** The chain's stages by name (top-level ones and spawned nodes, the latest of a name). */
  #stagesByName(): Map<string, StageActor> {
    const m = new Map<string, StageActor>();
    for (const s of [...this.#chain.stages, ...this.#chain.children]) m.set(s.name, s);
    return m;
  }

  #supervisor(s: SupervisorSnapshot, stages: Map<string, StageActor>, seconds: number): SupervisorView {
    const children = s.children.map((c: TreeSnapshot) =>
      c.kind === 'actor' ? this.#actor(c, stages, seconds) : this.#supervisor(c, stages, seconds),
    );
    return { ...s, children };
  }

  #actor(a: ActorSnapshot, stages: Map<string, StageActor>, seconds: number): NodeView {
    let past = this.#past.get(a.path);
    if (past === undefined) {
      past = { received: 0, carried: 0, history: { rate: [], p50: [], p99: [] } };
      this.#past.set(a.path, past);
    }
    const rebuilt = a.received < past.received;
    if (rebuilt) past.carried += past.received;
    const rate = (rebuilt ? a.received : a.received - past.received) / seconds;
    past.received = a.received;
    const latency = this.#stats.takePercentiles(a.id);
    const push = <T>(xs: T[], x: T) => {
      xs.push(x);
      if (xs.length > HISTORY) xs.shift();
    };
    push(past.history.rate, Math.round(rate * 10) / 10);
    push(past.history.p50, latency ? round3(latency.p50) : null);
    push(past.history.p99, latency ? round3(latency.p99) : null);
    const stage = this.#stats.stages.get(a.id);
    const view: NodeView = {
      ...a,
      rate,
      requests: stage?.requests ?? 0,
      errors: stage?.errors ?? 0,
      history: { rate: [...past.history.rate], p50: [...past.history.p50], p99: [...past.history.p99] },
    };
    if (latency) {
      view.p50 = round3(latency.p50);
      view.p99 = round3(latency.p99);
    }
    const health = stages.get(a.id)?.health;
    if (health) view.health = { ...health };
    const links = daemonLinks(stages.get(a.id));
    if (links) view.daemon = links;
    const link = linkOf(stages.get(a.id));
    if (link) view.link = link;
    return view;
  }

  /** Why the chain is not ready: a stage not running, or an aggregate without a healthy node. */
  #readiness(tree: SupervisorView, stages: Map<string, StageActor>): string[] {
    const why: string[] = [];
    if (this.#chain.stages.length === 0) why.push('no stage running');
    for (const s of this.#chain.stages) {
      if (s.status !== 'running') why.push(`stage ${s.name} is ${s.status}`);
    }
    for (const top of tree.children) {
      if (top.kind !== 'supervisor') continue;
      const kids = top.children.find((c) => c.kind === 'supervisor' && c.id === 'children');
      if (kids?.kind !== 'supervisor' || kids.children.length === 0) continue;
      const healthy = kids.children.some((n) => stages.get(n.id)?.health?.state === 'healthy');
      if (!healthy) why.push(`stage ${top.id}: no healthy node`);
    }
    return why;
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
