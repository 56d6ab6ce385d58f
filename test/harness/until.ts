/**
 * The one polling helper of the test suite: wait for a condition, with a timeout and a label.
 * @module
 */

/** What `cond` resolved with, once it holds: its value without the falsy cases. */
export type Held<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls `cond` (sync or async) every `everyMs` until it returns a truthy value, and resolves with that
 * value (`true` for a boolean condition). Rejects after `timeoutMs` with
 * `timed out after <timeoutMs> ms waiting for <label>`; a `label` function is called only then, so it can
 * describe the state at the time. An error `cond` throws rejects at once (a way to fail early, e.g. when a
 * process it waits on exited).
 *
 * @example
 * await until(() => lines.length === 2, 2000, 'two lines');
 * expect(await until(() => streamsOpen === 0, 5000, () => `${streamsOpen} streams open`)).toBe(true);
 */
export async function until<T>(
  cond: () => T | Promise<T>,
  timeoutMs = 5_000,
  label: string | (() => string) = 'condition',
  everyMs = 10,
): Promise<Held<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v as Held<T>;
    if (Date.now() > deadline) {
      const what = typeof label === 'function' ? label() : label;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
