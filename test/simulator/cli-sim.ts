/**
 * The real docker CLI against `dockerserver → simulator` (in this process) and against a private real
 * dockerd, side by side: `both(args)` runs the same command on each and normalises what legitimately
 * differs (ids, ages, data-root paths), so a test compares them with one `expect`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chain } from '../../src/backends/chain.js';
import { type Daemon, type DockerRunResult, docker, startDaemons, stopDaemons } from '../harness/index.js';

/** A simulator chain and a real daemon. */
export interface Pair {
  sim: string;
  real: string;
  daemon: Daemon;
  dir: string;
  stop(): Promise<void>;
}

/** Starts one private dockerd and an in-process `dockerserver → simulator`. */
export async function startPair(): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'simcli-'));
  const [daemon] = await startDaemons(1);
  const chain = new Chain();
  const socket = join(dir, 's.sock');
  await chain.start([`dockerserver unix://${socket}`, 'simulator simnode']);
  return {
    sim: `unix://${socket}`,
    real: (daemon as Daemon).host,
    daemon: daemon as Daemon,
    dir,
    async stop() {
      await chain.stop();
      await stopDaemons([daemon as Daemon]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Ids, ages and the data root out of CLI output. */
export function normalise(text: string): string {
  return text
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<ID>')
    .replace(/[0-9a-f]{64}/g, '<ID>')
    .replace(/\b[0-9a-f]{12}\b/g, '<SHORT>')
    .replace(/(Less than a second|About a minute|About an hour|\d+ (seconds|minutes|hours)) ago/g, '<AGO>')
    .replace(/\/tmp\/sw-[^/\s]+\/n\d+\/data/g, '/var/lib/docker')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<TIME>');
}

/** One command's result, normalised. */
export type Result = DockerRunResult;

/** Runs `args` on the simulator chain and on the real daemon; returns both, normalised. */
export async function both(
  pair: Pair,
  args: string[],
  opts: { input?: string | Buffer } = {},
): Promise<{ sim: Result; real: Result }> {
  const run = async (host: string) => {
    const r = await docker(args, { host, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    return { stdout: normalise(r.stdout), stderr: normalise(r.stderr), code: r.code };
  };
  const sim = await run(pair.sim);
  const real = await run(pair.real);
  return { sim, real };
}
