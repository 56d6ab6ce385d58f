/** Shared test helpers: let the runner drain without sleeping. */

/** Waits for several macrotask turns so every queued drain (and its setImmediate yields) has run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

import type { Behavior } from '../../src/actors/index.js';

/**
 * A worker that logs `start id` / `stop id reason` / `id got m`; `crash` throws, `quit` stops normally.
 * Returns a factory, so every incarnation is fresh.
 */
export function worker(log: string[], id: string): () => Behavior<string> {
  return () => ({
    start: () => void log.push(`start ${id}`),
    stop: (_ctx, reason) => void log.push(`stop ${id} ${reason instanceof Error ? 'error' : reason}`),
    receive(m, ctx) {
      if (m === 'crash') throw new Error(`${id} crashed`);
      if (m === 'quit') return ctx.stop();
      log.push(`${id} got ${m}`);
    },
  });
}
