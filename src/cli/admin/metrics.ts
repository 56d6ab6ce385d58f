/**
 * `/metrics`: Prometheus text from a prom-client registry of its own (never the global one). Every
 * value is read at scrape time from what the runtime and {@link RequestStats} count anyway, so a scrape
 * costs one tree snapshot and nothing is done per request for Prometheus. Names: one `swarmd_` prefix,
 * base units, `_total` counters, labels bounded by the chain's configuration (stage and node names, op,
 * status class, state) — never an id. docs/swarmd.md lists every metric.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { actorsOf, inspectTree } from '../../actors/inspection.js';
import type { Chain } from '../../backends/chain.js';
import { version } from '../help.js';
import { linkMetrics } from './metrics-links.js';
import type { AdminModel } from './model.js';
import { BUCKETS, type RequestStats, STATUS_CLASSES } from './requests.js';

/** The health machine's states, one `swarmd_node_health` series each. */
const HEALTH_STATES = ['connecting', 'healthy', 'degraded', 'down', 'backoff'];

/** Builds the registry for one chain. */
export function createMetrics(chain: Chain, stats: RequestStats, model: AdminModel): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'swarmd_' });
  // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool flags
  // them); the same numbers remain per type in swarmd_nodejs_active_{handles,requests,resources}.
  for (const kind of ['handles', 'requests', 'resources'])
    register.removeSingleMetric(`swarmd_nodejs_active_${kind}_total`);
  const registers = [register];

  new Gauge({
    name: 'swarmd_build_info',
    help: 'Always 1; the labels say which swarmd and Node.js run.',
    labelNames: ['version', 'nodejs'],
    registers,
  }).set({ version: version(), nodejs: process.versions.node }, 1);

  const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter) => void) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this);
      },
    });
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this);
      },
    });

  counter(
    'swarmd_stage_requests_total',
    'Requests a stage handler took, by op (exact up to 1000/s per stage, sampled and weighted above).',
    ['stage', 'op'],
    (c) => {
      for (const [stage, s] of stats.stages) for (const [op, o] of s.ops) c.inc({ stage, op }, o.requests);
    },
  );
  counter(
    'swarmd_stage_responses_total',
    'First replies of a stage, by op and status class (2xx..5xx; error: an error without a status; none: closed unanswered).',
    ['stage', 'op', 'status'],
    (c) => {
      for (const [stage, s] of stats.stages)
        for (const [op, o] of s.ops)
          for (const status of STATUS_CLASSES)
            if (o.statuses[status] > 0) c.inc({ stage, op, status }, o.statuses[status]);
    },
  );
  register.registerMetric(durationHistogram(stats) as never);

  const actors = () => actorsOf(inspectTree(chain.supervisor));
  gauge('swarmd_stage_up', 'Whether each top-level stage is running (1) or not (0).', ['stage'], (g) => {
    for (const s of chain.stages) g.set({ stage: s.name }, s.status === 'running' ? 1 : 0);
  });
  counter(
    'swarmd_actor_messages_received_total',
    'Messages an actor took from its mailbox.',
    ['stage'],
    (c) => {
      for (const { actor, total } of model.receivedTotals().values()) c.inc({ stage: actor.id }, total);
    },
  );
  gauge('swarmd_actor_mailbox_depth', 'Messages waiting in an actor mailbox.', ['stage'], (g) => {
    for (const a of actors()) g.set({ stage: a.id }, a.mailboxDepth);
  });
  gauge('swarmd_actor_mailbox_capacity', 'Capacity of an actor mailbox.', ['stage'], (g) => {
    for (const a of actors()) g.set({ stage: a.id }, a.mailboxCapacity);
  });
  gauge('swarmd_actor_in_flight', 'Requests an actor is handling now.', ['stage'], (g) => {
    for (const a of actors()) g.set({ stage: a.id }, a.inFlight);
  });
  counter('swarmd_actor_restarts_total', 'Restarts of an actor by its supervisor.', ['stage'], (c) => {
    for (const a of actors()) c.inc({ stage: a.id }, a.restarts);
  });
  counter('swarmd_actor_failures_total', 'Abnormal exits of an actor (a handler threw).', ['stage'], (c) => {
    for (const a of actors()) c.inc({ stage: a.id }, a.failures);
  });
  counter(
    'swarmd_supervisor_give_ups_total',
    'Times a supervisor exceeded its restart intensity and gave up.',
    ['supervisor'],
    (c) => {
      const walk = (n: ReturnType<typeof inspectTree>) => {
        c.inc({ supervisor: n.id }, n.giveUps);
        for (const k of n.children) if (k.kind === 'supervisor') walk(k);
      };
      walk(inspectTree(chain.supervisor));
    },
  );
  counter(
    'swarmd_dead_letters_total',
    'Messages neither delivered nor refused, by reason.',
    ['reason'],
    (c) => {
      const d = chain.system.deadLetters.counters();
      for (const reason of ['dropHead', 'dropTail', 'closed', 'stopped'] as const)
        c.inc({ reason }, d[reason]);
    },
  );
  gauge('swarmd_actors', 'Actors alive in the runtime.', [], (g) => g.set(chain.system.counters().live));
  gauge(
    'swarmd_node_health',
    "1 for an aggregate node's current health state, 0 for the others.",
    ['node', 'state'],
    (g) => {
      for (const s of chain.children) {
        if (!s.health) continue;
        for (const state of HEALTH_STATES) g.set({ node: s.name, state }, s.health.state === state ? 1 : 0);
      }
    },
  );
  linkMetrics(chain, { counter, gauge });
  gauge('swarmd_ready', '1 when /readyz answers 200.', [], (g) => g.set(model.view.ready ? 1 : 0));
  return register;
}

/**
 * `swarmd_stage_request_duration_seconds`: time from a request entering a stage handler to its first
 * reply. A prom-client metric object over {@link RequestStats}' buckets (prom-client's own Histogram
 * would hash its labels on every request).
 */
function durationHistogram(stats: RequestStats) {
  const name = 'swarmd_stage_request_duration_seconds';
  const help = 'Time from a request entering a stage handler to its first reply.';
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const [stage, s] of stats.stages)
        for (const [op, o] of s.ops) {
          let cumulative = 0;
          let count = 0;
          for (let i = 0; i <= BUCKETS.length; i++) {
            cumulative += o.buckets[i] as number;
            const le = i < BUCKETS.length ? (BUCKETS[i] as number) : '+Inf';
            values.push({ metricName: `${name}_bucket`, labels: { stage, op, le }, value: cumulative });
          }
          count = cumulative;
          values.push({ metricName: `${name}_sum`, labels: { stage, op }, value: o.sum });
          values.push({ metricName: `${name}_count`, labels: { stage, op }, value: count });
        }
      return { name, help, type: 'histogram', values, aggregator: 'sum' };
    },
  };
}
