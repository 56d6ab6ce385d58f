/**
 * A process's stdin: bytes pushed by attach streams (possibly before the process starts, as with
 * `echo x | docker run -i`), read by `cat` and the interactive shell, ended by StdinOnce EOF.
 * @module
 */

/** A one-reader byte queue with end-of-input. */
export class StdinQueue {
  #chunks: Buffer[] = [];
  #ended = false;
  #waiter: ((chunk: Buffer | null) => void) | undefined;

  /** True once {@link end} was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Appends bytes (ignored after end). */
  push(chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w(chunk);
    } else this.#chunks.push(chunk);
  }

  /** Marks end of input: the reader gets `null` after what is buffered. Twice is a no-op. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.(null);
  }

  /** The next chunk, or `null` at end of input. One reader at a time. */
  read(): Promise<Buffer | null> {
    const next = this.#chunks.shift();
    if (next) return Promise.resolve(next);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  /** Drops a pending reader (the process died); buffered bytes are discarded. */
  cancel(): void {
    this.#waiter = undefined;
    this.#chunks = [];
  }
}
