/** Shared test helpers: let the runner drain without sleeping. */

/** Waits for several macrotask turns so every queued drain (and its setImmediate yields) has run. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
