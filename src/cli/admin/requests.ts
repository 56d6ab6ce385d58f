/**
 * Per-stage request metrics, taken where a request enters a stage's handler and where its first reply
 * leaves: the request's `ret` is wrapped in a {@link TimedReply} that notes the reply's op, status
 * class and the time to it. Only swarmd `--admin` installs this observer; without it no request is
 * wrapped.
 *
 * Sampling keeps the cost flat under load. While a stage takes up to {@link TIMED_PER_SECOND}
 * requests a second, its switch stays on and every request is timed and counted exactly. Above that
 * the switch goes off: the stage runs its plain receive and does nothing per request; every 100 ms
 * the admin ({@link RequestStats.adapt}) turns it on for {@link SAMPLES_PER_ARM} requests. A sampled
 * request counts for every request since the last sampled one, read from the stage actor's mailbox
 * counter (which counts every message anyway), so counts stay whole and the timed ones stay near
 * {@link SAMPLED_PER_SECOND} a second. Durations feed fixed histogram buckets (for `/metrics`) and a
 * per-stage window of recent samples (the page's p50/p99).
 * @module
 */
import type { ActorContext } from '../../actors/behavior.js';
import { messagesTaken } from '../../actors/inspection.js';
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
/** Interval at which the admin re-arms a sampled stage, ms (and over which a rate is measured). */
export const ADAPT_MS = 100;
/**
 * Requests timed per re-arm of a sampled stage: {@link SAMPLED_PER_SECOND} a second, enough for a p99
 * per 1 s sample, few enough that a busy in-process chain (millions of hops a second) spends well
 * under 1 % of its time timing them.
 */
export const SAMPLES_PER_ARM = 20;
/** Requests a second per stage timed once sampling (at most). */
export const SAMPLED_PER_SECOND = (SAMPLES_PER_ARM * 1000) / ADAPT_MS;
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
  /** True while every request is taken (the switch stays on); false while sampling. */
  exact: boolean;
  /** Requests still to take before the switch goes off again (sampling). */
  armLeft: number;
  /** The stage actor's message count at the last take, and the time of that take. */
  lastTaken: number;
  lastTakeAt: number;
  /** Exact mode: requests since `rateFrom` (ms), to notice a rate above {@link TIMED_PER_SECOND}. */
  rateCount: number;
  rateFrom: number;
  /** The stage's switch (see RequestSampler.attach); undefined until the stage attaches. */
  sample: ((on: boolean) => void) | undefined;
}

/** Requests that end an exact-mode rate window early: twice what 100 ms may time one by one. */
const BURST = (2 * TIMED_PER_SECOND * ADAPT_MS) / 1000;

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
  #take(s: StageStats, message: Message, actor: ActorContext<Message> | undefined): Message {
    const now = this.#now();
    // It stands for every request the actor took since the last sampled one (a rebuilt actor's
    // counter starts again at 0); without an actor to read, for itself.
    const taken = (actor && messagesTaken(actor)) ?? s.lastTaken + 1;
    const weight = Math.max(1, taken >= s.lastTaken ? taken - s.lastTaken : taken);
    const sinceLast = now - s.lastTakeAt;
    s.lastTaken = taken;
    s.lastTakeAt = now;
    s.requests += weight;
    if (s.exact) {
      // Every 100 ms, or sooner once a burst came (a burst after idle switches within 200 requests).
      s.rateCount += weight;
      const span = now - s.rateFrom;
      if (span >= ADAPT_MS || s.rateCount >= BURST) {
        const busy = (s.rateCount * 1000) / Math.max(span, 0.01) > TIMED_PER_SECOND;
        s.rateCount = 0;
        s.rateFrom = now;
        if (busy) {
          s.exact = false;
          s.armLeft = 0;
          s.sample?.(false);
        }
      }
    } else if (weight > 1 && (weight * 1000) / Math.max(sinceLast, 0.01) <= TIMED_PER_SECOND) {
      // The first of a re-armed round found the stage quiet again: back to taking every request.
      s.exact = true;
      s.rateCount = 0;
      s.rateFrom = now;
    } else if (--s.armLeft <= 0) s.sample?.(false);
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
      const now = this.#now();
      const stats: StageStats = {
        ops: new Map(),
        requests: 0,
        errors: 0,
        window: new Float64Array(WINDOW),
        windowCount: 0,
        exact: true,
        armLeft: 0,
        lastTaken: 0,
        lastTakeAt: now,
        rateCount: 0,
        rateFrom: now,
        sample: undefined,
        take: (m: Message, actor?: ActorContext<Message>): Message => this.#take(stats, m, actor),
        attach: (sample: (on: boolean) => void) => {
          // A new incarnation of the stage (its actor keeps counting; a rebuilt one starts at 0).
          stats.sample = sample;
          sample(stats.exact || stats.armLeft > 0);
        },
      };
      s = stats;
      this.stages.set(name, s);
    }
    return s;
  }

  /**
   * Re-arms every sampled stage for {@link SAMPLES_PER_ARM} requests (the admin calls it every
   * {@link ADAPT_MS}); a stage taking every request is left as it is.
   */
  adapt(): void {
    for (const s of this.stages.values()) {
      if (s.exact) continue;
      s.armLeft = SAMPLES_PER_ARM;
      s.sample?.(true);
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
