/**
 * `copy(dst, src)`: the pump every proxy is built from.
 * @module
 */
import { type Abortable, EOF, kAbort, type Receiver, type Sender } from './types.js';

function abortOrClose(dst: Sender, err: Error): void {
  const abort = (dst as Partial<Abortable>)[kAbort];
  if (typeof abort === 'function') abort.call(dst, err);
  else dst.close();
}

/**
 * Moves every value from `src` to `dst` until `src` reaches EOF, then closes `dst`, and resolves with
 * the number of values moved. Waits for `dst`'s backpressure, so a slow consumer slows the producer.
 *
 * Failures travel in the direction that can act on them:
 * - `dst` refused (its receiver closed, its connection died): `src` is closed, which tells the
 *   upstream sender to stop, and the promise rejects with `dst`'s error.
 * - `src` failed (connection lost, reset): `dst` is aborted with the same error when it supports
 *   {@link kAbort} (so the far receiver sees ConnectionLost, not a fake EOF), else closed; the
 *   promise rejects.
 */
export async function copy<T>(dst: Sender<T>, src: Receiver<T>): Promise<number> {
  let count = 0;
  for (;;) {
    let v: T | EOF;
    try {
      v = await src.receive();
    } catch (err) {
      abortOrClose(dst as Sender, err as Error);
      throw err;
    }
    if (v === EOF) {
      dst.close();
      return count;
    }
    try {
      const p = dst.send(v);
      if (p !== undefined) await p;
    } catch (err) {
      src.close();
      throw err;
    }
    count++;
  }
}

/** Like {@link copy} but never rejects: for fire-and-forget proxy pumps whose errors already travelled. */
export function pump<T>(dst: Sender<T>, src: Receiver<T>): Promise<number> {
  return copy(dst, src).catch(() => -1);
}
