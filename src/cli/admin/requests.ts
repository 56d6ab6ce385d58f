/**
 * Per-stage request metrics, taken where a request enters a stage's handler and where its first reply
 * leaves: the request's `ret` is wrapped in a {@link TimedReply} that notes the reply's op, status
 * class and the time to it. Only swarmd `--admin` installs this observer; without it no request is
 * wrapped.
 *
 * Adaptive sampling keeps the cost flat under load: while a stage takes up to {@link TIMED_PER_SECOND}
 * requests a second every request is timed and counted exactly; above that 1 in N is (N a power of
 * two that keeps about {@link SAMPLED_PER_SECOND} a second timed, re-chosen at least every 100 ms from
 * the recent rate) and counts N. Per request a stage only counts down; exact message counts are the
 * actors' own mailbox counters. Durations feed fixed
 * histogram buckets (for `/metrics`) and a per-stage window of recent samples (the page's p50/p99).
 * @module
 */
import type { Message } from '../../actors/message.js';
import { ROUTES } from '../../backends/docker/api.js';
import type { RequestObserver, RequestSampler } from '../../backends/stage-actor.js';
import { kSender, type Sender } from '../../libchan/types.js';

/** Histogram bucket bounds, seconds (Prometheus `le`). */
export const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Status classes: HTTP-like (`1xx` is an upgraded attach/exec stream), plus `error` (an error reply
 * without a status) and `none` (a reply channel closed unanswered).
 */
export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'error', 'none'] as const;
/** One status class. */
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** Duration samples kept per stage between two ticks. */
const WINDOW = 1024;
/** Requests a second per stage timed one by one; above it, sampled. */
export const TIMED_PER_SECOND = 1000;
/**
 * Requests a second per stage timed once sampling: enough for a p99 per 1 s sample, few enough that a
 * busy in-process chain (millions of hops a second) spends well under 1 % of its time timing them.
 */
export const SAMPLED_PER_SECOND = 200;
const MAX_EVERY = 1 << 16;
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
export interface StageStats extends RequestSampler {
  ops: Map<string, OpStats>;
  /** Requests that entered the handler (exact below the sampling threshold, weighted above). */
  requests: number;
  /** Replies with an error or a 5xx (weighted like the ops' counts). */
  errors: number;
  window: Float64Array;
  windowCount: number;
  /** 1 in `every` requests is timed (`countdown` to the next one); `seen` requests at the last adapt. */
  every: number;
  seen: number;
  adaptedAt: number;
}

/** Interval a rate is measured over, ms (shorter when {@link BURST} requests came sooner). */
const ADAPT_MS = 100;
/** Requests (weighted) that trigger an early re-choice: twice what 100 ms may time one by one. */
const BURST = (2 * TIMED_PER_SECOND * ADAPT_MS) / 1000;

/**
 * Sampling from the rate since the last adaptation: every request up to {@link TIMED_PER_SECOND} a
 * second, else 1 in the power of two that keeps at most {@link SAMPLED_PER_SECOND} timed.
 */
function adaptStage(s: StageStats, now: number): void {
  const rate = ((s.requests - s.seen) * 1000) / Math.max(now - s.adaptedAt, 0.01);
  s.seen = s.requests;
  s.adaptedAt = now;
  let every = 1;
  if (rate > TIMED_PER_SECOND) while (every < MAX_EVERY && rate / every > SAMPLED_PER_SECOND) every *= 2;
  s.every = every;
}

function newOp(): OpStats {
  const statuses = Object.fromEntries(STATUS_CLASSES.map((s) => [s, 0])) as Record<StatusClass, number>;
  return { requests: 0, statuses, buckets: new Float64Array(BUCKETS.length + 1), sum: 0 };
}

/** `verb:<verb>` labels, made once per verb (not a new string per sampled request). */
const VERB_OPS = new Map<string, string>();

/** A bounded op label: Docker ops by name, anything else by verb (never an id or a user string). */
function opOf(message: Message): string {
  const op = (message.args as { op?: unknown } | null | undefined)?.op;
  if (typeof op === 'string' && KNOWN_OPS.has(op)) return op;
  let label = VERB_OPS.get(message.verb);
  if (label === undefined) {
    label = `verb:${message.verb}`;
    VERB_OPS.set(message.verb, label);
  }
  return label;
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
    stage: (name) => this.stage(name),
  };

  /** A stage's sampled request: counted with its weight, and its reply timed. */
  #take(s: StageStats, message: Message): Message {
    // This request stands for the `every` since the last timed one; then maybe re-choose `every`
    // (here, not only on the admin's timer: a busy in-process chain may starve timers).
    const weight = s.every;
    s.requests += weight;
    const now = this.#now();
    // Every 100 ms, or sooner once a burst took more than its share (a burst after idle adapts within
    // a few hundred requests instead of timing all of its first 100 ms).
    if (now - s.adaptedAt >= ADAPT_MS || s.requests - s.seen >= BURST) adaptStage(s, now);
    s.countdown = s.every;
    const op = opOf(message);
    let o = s.ops.get(op);
    if (o === undefined) {
      o = newOp();
      s.ops.set(op, o);
    }
    o.requests += weight;
    const ret = message.ret;
    if (ret === undefined) return message;
    return { ...message, ret: new TimedReply(ret, this, s, o, now, weight) };
  }

  /** The counters of `stage` (made on first use). */
  stage(name: string): StageStats {
    let s = this.stages.get(name);
    if (s === undefined) {
      const stats: StageStats = {
        ops: new Map(),
        requests: 0,
        errors: 0,
        window: new Float64Array(WINDOW),
        windowCount: 0,
        every: 1,
        countdown: 1,
        seen: 0,
        adaptedAt: this.#now(),
        take: (m: Message): Message => this.#take(stats, m),
      };
      s = stats;
      this.stages.set(name, s);
    }
    return s;
  }

  /** Re-chooses each stage's sampling from its recent rate (the admin calls it every 100 ms). */
  adapt(): void {
    const now = this.#now();
    for (const s of this.stages.values()) {
      if (now - s.adaptedAt < ADAPT_MS) continue;
      adaptStage(s, now);
      s.countdown = Math.min(s.countdown, s.every);
    }
  }

  /** Records a first reply (or none) `ms` after the request entered; it stands for `weight` requests. */
  record(s: StageStats, o: OpStats, status: StatusClass, started: number, weight: number): void {
    const ms = this.#now() - started;
    o.statuses[status] += weight;
    if (status === '5xx' || status === 'error' || status === 'none') s.errors += weight;
    const sec = ms / 1000;
    o.sum += sec * weight;
    let i = 0;
    while (i < BUCKETS.length && sec > (BUCKETS[i] as number)) i++;
    (o.buckets[i] as number) += weight;
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
    readonly weight: number,
  ) {}

  get closed(): boolean {
    return this.inner.closed;
  }

  send(value: Message): Promise<void> | undefined {
    if (!this.#done) {
      this.#done = true;
      this.stats.record(this.stage, this.op, statusClass(value), this.started, this.weight);
    }
    return this.inner.send(value);
  }

  close(): void {
    if (!this.#done) {
      this.#done = true;
      this.stats.record(this.stage, this.op, 'none', this.started, this.weight);
    }
    this.inner.close();
  }
}
