/**
 * A growable FIFO ring buffer: O(1) push and shift, grows by doubling, never shrinks below its
 * initial size. The mailbox keeps the bound; this only stores.
 * @module
 */

/** FIFO queue over a power-of-two circular array. */
export class RingBuffer<T> {
  #items: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  /**
   * `initialSize` 0 allocates nothing until the first push, so thousands of idle queues stay small
   * (an idle actor's heap budget is a few hundred bytes).
   */
  constructor(initialSize = 16) {
    if (initialSize <= 0) {
      this.#items = [];
      this.#mask = -1; // length 0 > mask -1: the first push grows to 4 slots
      return;
    }
    let size = 4;
    while (size < initialSize) size *= 2;
    this.#items = new Array<T | undefined>(size);
    this.#mask = size - 1;
  }

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Removes and returns the oldest item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the GC have it
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** The oldest item without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes every item, oldest first, handing each to `fn`. */
  drainAll(fn: (item: T) => void): void {
    while (this.#length > 0) fn(this.shift() as T);
  }

  #grow(): void {
    const old = this.#items;
    const size = Math.max(4, old.length * 2);
    const items = new Array<T | undefined>(size);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
