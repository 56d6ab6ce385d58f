/**
 * What the fault tests over real daemons share (faults.test.ts, chaos.test.ts): a real swarmd process
 * (`dockerserver → aggregate → N × dockerclient`) in front of private dockerd daemons, polling helpers,
 * and each node's status as the aggregate's `docker info` shows it.
 * @module
 */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, docker, type SwarmdProcess, startSwarmd, until } from '../harness/index.js';

export const IMAGE = 'busybox:local';
/** dockerclient's default pool: most sockets it opens to one daemon. */
export const POOL = 8;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const secondsSince = (t0: number) => Math.round(performance.now() - t0) / 1000;

/** {@link until} `check` holds, polling every 100 ms; resolves the seconds it took, or rejects after `limitMs`. */
export async function within(limitMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const t0 = performance.now();
  await until(check, limitMs, what, 100);
  return secondsSince(t0);
}

/** A swarmd process serving the Docker API on `host`, aggregating the daemons. */
export interface FaultBed extends SwarmdProcess {
  /** `unix://…` of its dockerserver socket. */
  host: string;
  /** Its folder (socket, symlinks to the daemons); the caller removes it. */
  dir: string;
}

/**
 * Starts swarmd in front of `ds` (one aggregate node per daemon, named after it); resolves once its
 * stages run. It logs at `warn`; FAULT_BED_LOG=info adds each node's health changes, to diagnose a run.
 */
export async function startBed(ds: readonly Daemon[]): Promise<FaultBed> {
  const dir = mkdtempSync(join(tmpdir(), 'agf-'));
  const host = `unix://${join(dir, 's.sock')}`;
  // Children reach each daemon through a symlink: the harness reaps a killed daemon's helpers by
  // finding its folder on process command lines, and swarmd's must not match, or restart kills it.
  const children = ds
    .map((d) => {
      const link = join(dir, `${d.name}.sock`);
      symlinkSync(d.socket, link);
      return `"${d.name}=dockerclient unix://${link}"`;
    })
    .join(' ');
  const swarmd = await startSwarmd([`dockerserver ${host}`, `aggregate ${children}`], 20_000, {
    logLevel: process.env.FAULT_BED_LOG ?? 'warn',
  });
  return { ...swarmd, host, dir };
}

/** Each node's status line (`Healthy`, `Degraded`, `Unhealthy` for down/backoff, `Pending`) from the aggregate's `docker info`. */
export async function nodeStatuses(host: string): Promise<Record<string, string>> {
  const r = await docker(['info', '--format', '{{json .SystemStatus}}'], { host, timeoutMs: 10_000 });
  const rows = JSON.parse(r.stdout || 'null') as [string, string][] | null;
  const out: Record<string, string> = {};
  let node = '';
  for (const [k, v] of rows ?? []) {
    if (/^ \S/.test(k)) node = k.trim();
    else if (k.includes('Status') && node) out[node] = v;
  }
  return out;
}

/** One Engine API call over a unix socket (`unix://…` host): status and parsed JSON body (or text). */
export function api(
  host: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown; headers: Record<string, string | string[] | undefined> }> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: host.replace(/^unix:\/\//, ''),
        method,
        path,
        agent: false,
        timeout: 10_000,
        headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(data);
  });
}
