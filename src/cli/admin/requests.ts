/**
 * Per-stage request metrics, taken where a request enters a stage's handler and where its first reply
 * leaves: the request's `ret` is wrapped in a {@link TimedReply} that notes the reply's status class
 * and the time to it. Only swarmd `--admin` installs this observer; without it no request is wrapped.
 *
 * Counts are exact. Durations feed fixed histogram buckets (for `/metrics`) and a per-stage window of
 * the last {@link WINDOW} samples (for the page's p50/p99, reset every sample tick).
 * @module
 */
import type { Message } from '../../actors/message.js';
import { ROUTES } from '../../backends/docker/api.js';
import type { RequestObserver } from '../../backends/stage-actor.js';
import { kSender, type Sender } from '../../libchan/types.js';

/** Histogram bucket bounds, seconds (Prometheus `le`). */
export const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Status classes: HTTP-like, plus `error` (an error reply without a status) and `none` (no reply). */
export const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'error', 'none'] as const;
/** One status class. */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Duration samples kept per stage between two ticks. */
const WINDOW = 1024;
const KNOWN_OPS = new Set<string>(ROUTES.map((r) => r.op));

/** Counters of one stage and op. */
export interface OpStats {
  /** Requests that entered the handler. */
  requests: number;
  /** First replies by status class. */
  statuses: Record<StatusClass, number>;
  /** Histogram of time to first reply: counts per {@link BUCKETS} bound (not cumulative), then +Inf. */
  buckets: Float64Array;
  /** Sum of durations, seconds. */
  sum: number;
}

/** Counters of one stage: its ops and a window of recent durations (ms). */
export interface StageStats {
  ops: Map<string, OpStats>;
  requests: number;
  errors: number;
  window: Float64Array;
  windowCount: number;
}

function newOp(): OpStats {
  const statuses = Object.fromEntries(STATUS_CLASSES.map((s) => [s, 0])) as Record<StatusClass, number>;
  return { requests: 0, statuses, buckets: new Float64Array(BUCKETS.length + 1), sum: 0 };
}

/** A bounded op label: Docker ops by name, anything else by verb (never an id or a user string). */
function opOf(message: Message): string {
  const op = (message.args as { op?: unknown } | null | undefined)?.op;
  return typeof op === 'string' && KNOWN_OPS.has(op) ? op : `verb:${message.verb}`;
}

function statusClass(reply: Message): StatusClass {
  const status = (reply.args as { status?: unknown } | null | undefined)?.status;
  if (typeof status === 'number' && status >= 100 && status < 600) {
    return `${Math.floor(status / 100)}xx` as StatusClass;
  }
  return reply.verb === 'error' ? 'error' : '2xx';
}

/** Where every stage's requests are counted; hand {@link RequestStats.observer} to the Chain. */
export class RequestStats {
  readonly stages = new Map<string, StageStats>();
  readonly #now: () => number;

  /** `now` is a monotonic ms clock (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The observer for `ChainOptions.observer`. */
  readonly observer: RequestObserver = {
    enter: (stage, message) => {
      const s = this.stage(stage);
      const op = opOf(message);
      let o = s.ops.get(op);
      if (o === undefined) {
        o = newOp();
        s.ops.set(op, o);
      }
      o.requests++;
      s.requests++;
      const ret = message.ret;
      if (ret === undefined) return message;
      return { ...message, ret: new TimedReply(ret, this, s, o, this.#now()) };
    },
  };

  /** The counters of `stage` (made on first use). */
  stage(name: string): StageStats {
    let s = this.stages.get(name);
    if (s === undefined) {
      s = { ops: new Map(), requests: 0, errors: 0, window: new Float64Array(WINDOW), windowCount: 0 };
      this.stages.set(name, s);
    }
    return s;
  }

  /** Records a first reply (or none) `ms` after the request entered. */
  record(s: StageStats, o: OpStats, status: StatusClass, started: number): void {
    const ms = this.#now() - started;
    o.statuses[status]++;
    if (status !== '2xx' && status !== '3xx' && status !== '4xx') s.errors++;
    const sec = ms / 1000;
    o.sum += sec;
    let i = 0;
    while (i < BUCKETS.length && sec > (BUCKETS[i] as number)) i++;
    (o.buckets[i] as number)++;
    s.window[s.windowCount++ % WINDOW] = ms;
  }

  /** p50 and p99 (ms) of the durations since the last call, and resets the window. */
  takePercentiles(name: string): { p50: number; p99: number; samples: number } | undefined {
    const s = this.stages.get(name);
    if (s === undefined || s.windowCount === 0) return undefined;
    const n = Math.min(s.windowCount, WINDOW);
    const sorted = s.window.slice(0, n).sort();
    s.windowCount = 0;
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))] as number;
    return { p50: at(0.5), p99: at(0.99), samples: n };
  }
}

/** A request's reply channel that notes its first reply's status and time, then passes everything on. */
class TimedReply implements Sender<Message> {
  readonly [kSender] = true as const;
  #done = false;

  constructor(
    readonly inner: Sender<Message>,
    readonly stats: RequestStats,
    readonly stage: StageStats,
    readonly op: OpStats,
    readonly started: number,
  ) {}

  get closed(): boolean {
    return this.inner.closed;
  }

  send(value: Message): Promise<void> | undefined {
    if (!this.#done) {
      this.#done = true;
      this.stats.record(this.stage, this.op, statusClass(value), this.started);
    }
    return this.inner.send(value);
  }

  close(): void {
    if (!this.#done) {
      this.#done = true;
      this.stats.record(this.stage, this.op, 'none', this.started);
    }
    this.inner.close();
  }
}
