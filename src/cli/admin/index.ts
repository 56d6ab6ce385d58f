/**
 * swarmd `--admin`: a live page of the supervision tree, Prometheus `/metrics`, `/api/tree`,
 * `/healthz` and `/readyz` for one running {@link Chain}. The chain must have been built with
 * `observer: stats.observer` for per-stage request metrics. One sample a second (on the injected
 * clock) feeds the page's history and is pushed to every connected page.
 * @module
 */
import type { Logger } from 'pino';
import type { Chain } from '../../backends/chain.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { type AdminConfig, parseAdminUrl } from './args.js';
import { AdminModel } from './model.js';
import type { RequestStats } from './requests.js';
import { serveAdmin } from './server.js';

export { type AdminConfig, takeAdminArgs } from './args.js';
export { RequestStats } from './requests.js';

/** Sample period, ms: the page updates this often. */
export const SAMPLE_MS = 1000;
/** How often a daemon's health is checked for a change between samples, ms. */
export const HEALTH_MS = 100;

/** What {@link startAdmin} needs. */
export interface AdminOptions {
  /** Where to listen: a parsed config, or a URL (`http://127.0.0.1:0` picks a free port). */
  config?: AdminConfig;
  url?: string;
  chain: Chain;
  stats: RequestStats;
  clock: Clock;
  log: Logger;
}

/** A running admin endpoint. */
export interface Admin {
  readonly url: string;
  readonly model: AdminModel;
  close(): Promise<void>;
}

/** Starts sampling and serving; throws when the address cannot be bound. */
export async function startAdmin(opts: AdminOptions): Promise<Admin> {
  const config = opts.config ?? { address: parseAdminUrl(opts.url ?? 'http://127.0.0.1:0') };
  const model = new AdminModel(opts.chain, opts.stats, opts.clock);
  // prom-client is loaded only when an admin server starts.
  const { createMetrics } = await import('./metrics.js');
  const registry = createMetrics(opts.chain, opts.stats, model);
  const server = await serveAdmin(config, model, registry);
  let timer: TimerHandle | undefined;
  let stopped = false;
  let step = 0;
  // A sample every SAMPLE_MS; in between, a daemon's health change is pushed within HEALTH_MS.
  const tick = () => {
    if (stopped) return;
    try {
      // Re-arms the sampled stages for their next requests (RequestStats expects it every ADAPT_MS = HEALTH_MS).
      opts.stats.adapt();
      const full = step++ % (SAMPLE_MS / HEALTH_MS) === 0;
      if (full) {
        const view = model.tick();
        if (server.clients > 0) server.broadcast(JSON.stringify(view));
      } else if (model.refreshHealth() && server.clients > 0) server.broadcast(JSON.stringify(model.view));
    } catch (err) {
      opts.log.warn({ err }, 'admin: sample failed');
    }
    timer = opts.clock.setTimeout(tick, HEALTH_MS);
  };
  tick();
  return {
    url: server.url,
    model,
    async close() {
      stopped = true;
      if (timer !== undefined) opts.clock.clearTimeout(timer);
      await server.close();
    },
  };
}
