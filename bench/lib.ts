/**
 * Benchmark harness. Each case is measured against a baseline in the same run, interleaved, so the
 * noisy shared machine moves both numbers together; we report medians and their ratio.
 *
 * Usage from a suite file: `await runSuite('core', cases)`; flags: `--json` (one JSON line per case),
 * `--runs N` (default 7), `--filter SUBSTRING`.
 * @module
 */
import { Agent, request } from 'node:http';

/** One measured thing: returns a value in `unit` (e.g. msgs/s) per call. */
export interface Measure {
  name: string;
  run: () => number | Promise<number>;
}

/** A benchmark case with its in-run baseline. */
export interface BenchCase extends Measure {
  unit: string;
  baseline?: Measure;
  /** Set when smaller is better (latency, bytes). */
  lowerIsBetter?: boolean;
  /** Goals from the issue; printed as met / missed, never used to fail the run. */
  goal?: { value?: number; ratio?: number };
  /** Runs for this case (overrides --runs), for slow cases. */
  runs?: number;
}

/** The JSON line printed per case with --json. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: string | null;
  baselineValue: number | null;
  ratio: number | null;
  runs: number;
  min: number;
  max: number;
  goal?: { value?: number; ratio?: number; met: boolean };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Formats 12345678 as "12.35M". */
export function human(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return abs >= 10 ? n.toFixed(1) : n.toFixed(3);
}

/** Times `fn` over `ops` operations and returns operations per second. */
export async function opsPerSecond(ops: number, fn: () => void | Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return (ops / ms) * 1000;
}

/** Runs every case, prints a table (or JSON lines with --json), returns the results. */
export async function runSuite(title: string, cases: BenchCase[]): Promise<BenchResult[]> {
  const json = process.argv.includes('--json');
  const defaultRuns = Number(flag('--runs') ?? 7);
  const filter = flag('--filter');
  const results: BenchResult[] = [];
  if (!json) console.log(`\n## ${title}\n`);
  for (const c of cases) {
    if (filter && !c.name.includes(filter)) continue;
    const runs = c.runs ?? defaultRuns;
    await c.run(); // warm-up
    if (c.baseline) await c.baseline.run();
    const values: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (c.baseline) base.push(await c.baseline.run());
      values.push(await c.run());
    }
    const value = median(values);
    const baselineValue = c.baseline ? median(base) : null;
    const ratio = baselineValue ? value / baselineValue : null;
    const result: BenchResult = {
      name: c.name,
      value,
      unit: c.unit,
      baseline: c.baseline?.name ?? null,
      baselineValue,
      ratio,
      runs,
      min: Math.min(...values),
      max: Math.max(...values),
    };
    if (c.goal) {
      const better = (a: number, b: number) => (c.lowerIsBetter ? a <= b : a >= b);
      const met =
        (c.goal.value === undefined || better(value, c.goal.value)) &&
        (c.goal.ratio === undefined || ratio === null || better(ratio, c.goal.ratio));
      result.goal = { ...c.goal, met };
    }
    results.push(result);
    if (json) console.log(JSON.stringify(result));
    else {
      const goal = result.goal
        ? ` goal ${[result.goal.value !== undefined ? human(result.goal.value) : '', result.goal.ratio !== undefined ? `${result.goal.ratio}×` : ''].filter(Boolean).join(' & ')}: ${result.goal.met ? 'met' : 'MISSED'}`
        : '';
      const baseTxt = c.baseline
        ? ` | ${c.baseline.name} ${human(baselineValue as number)} | ratio ${ratio?.toFixed(3)}`
        : '';
      console.log(
        `- ${c.name}: ${human(value)} ${c.unit} (min ${human(result.min)}, max ${human(result.max)}, n=${runs})${baseTxt}${goal}`,
      );
    }
  }
  return results;
}

/** Median ms of `n` sequential calls of `round` (one request, or several at once). */
export async function sequentialP50(round: () => Promise<unknown>, n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await round();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1] as number;
}

/**
 * A keep-alive HTTP GET client for one unix socket, on one connection. `get()` resolves once a 200
 * answer is read to its end and rejects on any other status; `close()` drops the connection.
 */
export function unixGetter(socketPath: string, path: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const get = () =>
    new Promise<void>((resolve, reject) => {
      const req = request({ socketPath, path, agent, headers: { host: 'docker' } }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end();
    });
  return { get, close: () => agent.destroy() };
}
