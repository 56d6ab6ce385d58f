/**
 * Where a stage sits in the supervision tree and how it is restarted: the restart policy (intensity,
 * backoff), the placement of a stage's supervisor (under the chain, or under an aggregate's `children`
 * supervisor) and that `children` supervisor itself. The stage's actor is in stage-actor.ts.
 * @module
 */
import type { BackoffOptions } from '../actors/backoff.js';
import type { Supervisor } from '../actors/supervisor.js';

/** Restart policy of a stage. */
export interface RestartPolicy {
  maxRestarts: number;
  periodMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Extra random delay, as a fraction of the backoff (Akka's randomFactor). */
  randomFactor: number;
  random: () => number;
}

/** The policy swarmd uses unless told otherwise. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  periodMs: 10_000,
  minBackoffMs: 100,
  maxBackoffMs: 5_000,
  randomFactor: 0.2,
  random: Math.random,
};

/** Where a stage's supervisor hangs in the tree. */
export interface StagePlacement {
  /** The supervisor the stage's own supervisor is a child of. Default: a new system and root. */
  parent?: Supervisor;
  /**
   * `temporary` (a top-level stage: giving up ends it, and the owner is told) or `permanent` (an
   * aggregate's child: giving up escalates to its parent, which rebuilds it after its backoff).
   */
  restart?: 'temporary' | 'permanent';
}

/** Name of the supervisor of a stage's spawned stages, under the stage's own supervisor. */
const CHILDREN = 'children';
/** Pace of rebuilding a spawned stage that gave up: 1 s doubling to 30 s (a flapping daemon's node). */
export const CHILD_REBUILD_BACKOFF: BackoffOptions = { min: 1_000, max: 30_000, randomFactor: 0.2 };

/**
 * The `children` supervisor under `owner` (made on first use): it holds spawned stages' supervisors
 * and rebuilds one that gave up after {@link CHILD_REBUILD_BACKOFF}. It never gives up itself — each
 * node's own supervisor bounds that node's crash loop — so one bad node never escalates further.
 */
export function childrenSupervisor(owner: Supervisor): Supervisor {
  return (
    owner.childSupervisor(CHILDREN) ??
    owner.startSupervisor(CHILDREN, {
      intensity: Number.MAX_SAFE_INTEGER,
      period: 1,
      backoff: CHILD_REBUILD_BACKOFF,
    })
  );
}

/** The runtime's backoff options for a stage's restart policy. */
export function backoffOptions(policy: RestartPolicy): BackoffOptions {
  return {
    min: policy.minBackoffMs,
    max: policy.maxBackoffMs,
    randomFactor: policy.randomFactor,
    random: policy.random,
  };
}
