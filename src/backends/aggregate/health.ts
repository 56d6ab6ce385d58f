/**
 * A node's health as an xstate v5 machine: `connecting → healthy ⇄ degraded → down ⇄ backoff → …`.
 * Two inputs drive it: the outcome of every call the aggregate makes to the node (`ok` / `fail`, where a
 * missed deadline is a failure, so a hung daemon is caught, unlike classic Swarm) and a periodic probe
 * the machine schedules itself on the injected clock. `down` probes at once; a failed probe waits in
 * `backoff` (exponential, capped low so a node that comes back rejoins within seconds, not hours).
 * @module
 */

import { assign, createActor, fromPromise, setup } from 'xstate';
import { backoffDelay } from '../../actors/backoff.js';
import type { Clock } from '../../clock.js';

/** Tunables, all in ms except `failureThreshold`. */
export interface HealthOptions {
  /** Probe period while healthy. */
  probeInterval: number;
  /** Probe period while degraded: short, to confirm or clear the suspicion quickly. */
  degradedProbeInterval: number;
  /** Consecutive failures (calls or probes) that take a degraded node down. */
  failureThreshold: number;
  /** First backoff; doubles per failed reconnection up to `backoffMax`. */
  backoffBase: number;
  backoffMax: number;
}

/**
 * Defaults chosen so a hung node is degraded within 1.5 s (next probe ≤ 0.5 s, then its 1 s deadline:
 * the admin page shows it within 2 s) and down within ~2.5 s, and a recovered one healthy within ~2.5 s.
 */
export const DEFAULT_HEALTH: HealthOptions = {
  probeInterval: 500,
  degradedProbeInterval: 100,
  failureThreshold: 2,
  backoffBase: 250,
  backoffMax: 2000,
};

/** What the machine remembers. */
export interface HealthContext extends HealthOptions {
  failures: number;
  attempt: number;
  lastError?: string;
  /** Clock time of the last success. */
  updatedAt?: number;
  now: () => number;
}

/** Events: call outcomes reported by the node wrapper. */
export type HealthEvent = { type: 'ok' } | { type: 'fail'; error: string };

const probing = (next: string) => ({
  invoke: {
    src: 'probe' as const,
    onDone: { target: next, actions: 'recordOk' as const },
    onError: { target: next, actions: 'recordProbeFailure' as const },
  },
});

/** The machine definition; `probe` is provided per node. */
export const healthMachine = setup({
  types: {
    context: {} as HealthContext,
    events: {} as HealthEvent,
    input: {} as HealthOptions & { now: () => number },
  },
  actors: {
    probe: fromPromise<void>(async () => {}),
  },
  actions: {
    recordOk: assign({
      failures: 0,
      attempt: 0,
      lastError: undefined,
      updatedAt: ({ context }) => context.now(),
    }),
    recordFailure: assign({
      failures: ({ context }) => context.failures + 1,
      lastError: ({ event }) => (event.type === 'fail' ? event.error : undefined),
    }),
    recordProbeFailure: assign({
      failures: ({ context }) => context.failures + 1,
      lastError: ({ event }) => errorText((event as { error?: unknown }).error),
    }),
    nextAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
  },
  guards: {
    atThreshold: ({ context }) => context.failures + 1 >= context.failureThreshold,
    failedProbe: ({ context }) => context.failures > 0,
  },
  delays: {
    probeInterval: ({ context }) => context.probeInterval,
    degradedProbeInterval: ({ context }) => context.degradedProbeInterval,
    backoff: ({ context }) =>
      backoffDelay(Math.max(0, context.attempt - 1), {
        min: context.backoffBase,
        max: context.backoffMax,
        randomFactor: 0,
      }),
  },
}).createMachine({
  id: 'node-health',
  context: ({ input }) => ({ ...input, failures: 0, attempt: 0 }),
  initial: 'connecting',
  states: {
    connecting: {
      invoke: {
        src: 'probe',
        onDone: { target: 'healthy', actions: 'recordOk' },
        onError: { target: 'backoff', actions: ['recordProbeFailure', 'nextAttempt'] },
      },
      on: { ok: { target: 'healthy', actions: 'recordOk' } },
    },
    healthy: {
      initial: 'idle',
      on: { ok: { actions: 'recordOk' }, fail: { target: 'degraded', actions: 'recordFailure' } },
      states: {
        idle: { after: { probeInterval: 'probing' } },
        probing: probing('checked'),
        checked: { always: [{ guard: 'failedProbe', target: '#node-health.degraded' }, { target: 'idle' }] },
      },
    },
    degraded: {
      initial: 'idle',
      on: {
        ok: { target: 'healthy', actions: 'recordOk' },
        fail: [
          { guard: 'atThreshold', target: 'down', actions: 'recordFailure' },
          { actions: 'recordFailure' },
        ],
      },
      states: {
        idle: { after: { degradedProbeInterval: 'probing' } },
        probing: probing('checked'),
        checked: {
          always: [
            { guard: ({ context }) => context.failures === 0, target: '#node-health.healthy' },
            {
              guard: ({ context }) => context.failures >= context.failureThreshold,
              target: '#node-health.down',
            },
            { target: 'idle' },
          ],
        },
      },
    },
    down: {
      entry: 'nextAttempt',
      invoke: {
        src: 'probe',
        onDone: { target: 'healthy', actions: 'recordOk' },
        onError: { target: 'backoff', actions: 'recordProbeFailure' },
      },
      on: { ok: { target: 'healthy', actions: 'recordOk' } },
    },
    backoff: {
      after: { backoff: 'down' },
      on: { ok: { target: 'healthy', actions: 'recordOk' } },
    },
  },
});

/** The top-level state names, flattened. */
export type HealthState = 'connecting' | 'healthy' | 'degraded' | 'down' | 'backoff';

/** A running health machine for one node. */
export type HealthActor = ReturnType<typeof createHealthActor>;

/** Starts a health machine whose probe is `probe` and whose timers run on `clock`. */
export function createHealthActor(
  probe: () => Promise<void>,
  clock: Clock,
  options: Partial<HealthOptions> = {},
) {
  const machine = healthMachine.provide({ actors: { probe: fromPromise(() => probe()) } });
  const actor = createActor(machine, {
    clock: { setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h) },
    input: { ...DEFAULT_HEALTH, ...options, now: () => clock.now() },
  });
  actor.start();
  return actor;
}

/** The flattened state of a health actor. */
export function healthState(actor: HealthActor): HealthState {
  const v = actor.getSnapshot().value;
  return (typeof v === 'string' ? v : Object.keys(v)[0]) as HealthState;
}

/**
 * Healthy with nothing to reset: an `ok` event would only refresh `updatedAt`. Callers reporting every
 * successful call skip the machine then (an xstate step per request was ~3 % of a proxied request).
 */
export function isSettledHealthy(actor: HealthActor): boolean {
  const s = actor.getSnapshot();
  return (
    healthState(actor) === 'healthy' &&
    s.context.failures === 0 &&
    s.context.attempt === 0 &&
    s.context.lastError === undefined
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
