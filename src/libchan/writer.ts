/**
 * Per-tick frame coalescing (perf-baselines §5.2: mandatory). Small frames written in the same tick
 * are copied into one slab and handed to the wire as a single write at the end of the tick; frames
 * with a large payload flush what is pending and go out directly, without the extra copy.
 * @module
 */
import { HEADER_SIZE, writeHeader } from './frames.js';
import type { Wire } from './wire.js';

const SLAB = 64 * 1024;
/** Payloads above this are written directly (copying them costs more than the syscall saved). */
export const COALESCE_LIMIT = 16 * 1024;

/** Coalescing frame writer over a {@link Wire}. */
export class FrameWriter {
  readonly #wire: Wire;
  readonly #maxOut: number;
  readonly #onOverflow: (() => void) | undefined;
  #slab = Buffer.allocUnsafe(SLAB);
  #start = 0;
  #pos = 0;
  #scheduled = false;
  #closed = false;
  readonly #flushTask = () => {
    this.#scheduled = false;
    this.flush();
  };

  /**
   * @param maxOut bytes the wire may hold unsent (its `bufferedAmount`) before `onOverflow` is called
   *   and the writer drops everything after: the peer is not reading.
   */
  constructor(wire: Wire, maxOut = Number.POSITIVE_INFINITY, onOverflow?: () => void) {
    this.#wire = wire;
    this.#maxOut = maxOut;
    this.#onOverflow = onOverflow;
  }

  /** Appends one frame. */
  frame(type: number, flags: number, id: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    const len = payload === undefined ? 0 : payload.length;
    if (len > COALESCE_LIMIT) {
      this.flush();
      const head = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(head, 0, len, type, flags, id);
      this.#wire.write(head);
      this.#wire.write(payload as Uint8Array);
      this.#checkOutput();
      return;
    }
    const need = HEADER_SIZE + len;
    if (this.#slab.length - this.#pos < need) {
      this.flush();
      if (this.#slab.length - this.#pos < need) this.#newSlab();
    }
    writeHeader(this.#slab, this.#pos, len, type, flags, id);
    if (len > 0) this.#slab.set(payload as Uint8Array, this.#pos + HEADER_SIZE);
    this.#pos += need;
    if (!this.#scheduled) {
      this.#scheduled = true;
      // nextTick, not queueMicrotask: a tick callback queued from a microtask runs only once the whole
      // microtask queue is drained, so request/reply chains driven by `await` (one hop per message)
      // still coalesce into one write per tick instead of one write per message.
      process.nextTick(this.#flushTask);
    }
  }

  /** Hands pending bytes to the wire now. */
  flush(): void {
    if (this.#pos === this.#start || this.#closed) return;
    // The wire keeps a reference to this region; it is never written again (we move past it).
    this.#wire.write(this.#slab.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
    if (this.#slab.length - this.#pos < 4096) this.#newSlab();
    this.#checkOutput();
  }

  /** Drops anything not yet flushed and ignores later frames. */
  close(): void {
    this.#closed = true;
  }

  #checkOutput(): void {
    const held = this.#wire.bufferedAmount?.() ?? 0;
    if (held <= this.#maxOut || this.#closed) return;
    this.#closed = true;
    this.#onOverflow?.();
  }

  #newSlab(): void {
    this.#slab = Buffer.allocUnsafe(SLAB);
    this.#start = 0;
    this.#pos = 0;
  }
}
