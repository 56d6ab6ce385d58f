/**
 * Shared set-up for the real-client tests: one private dockerd, and in front of it the chain
 * `dockerserver → dockerclient` run in this process (as test/dockerclient/cli-through-chain.test.ts
 * does). Every request the chain forwards is recorded, so a test can prove that its client really
 * went through the chain. Also a small async process runner: the chain lives in this process, so a
 * client must never be run with spawnSync (it would block the very event loop that serves it).
 * @module
 */
import { startChain as startCliChain, stopChain } from '../dockerclient/cli-chain.js';
import { type Daemon, type DockerRunResult, dockerConfigDir, runProcess } from '../harness/index.js';

/** A private daemon and the chain in front of it, as the client tests use it. */
export interface Chain {
  daemon: Daemon;
  /** `unix://…` of the daemon itself. */
  direct: string;
  /** `unix://…` of dockerserver, whose next stage is a dockerclient on the same daemon. */
  chained: string;
  /** `op` of every request the chain forwarded, in order (`container.create`, …). */
  readonly ops: string[];
  /** An empty DOCKER_CONFIG folder: no credentials or contexts from the user's home. */
  configDir: string;
  stop(): Promise<void>;
}

/** Starts one private dockerd and the in-process chain in front of it (test/dockerclient/cli-chain.ts). */
export async function startChain(): Promise<Chain> {
  const c = await startCliChain();
  return {
    daemon: c.d,
    direct: c.d.host,
    chained: c.host,
    ops: c.ops,
    configDir: dockerConfigDir(),
    stop: () => stopChain(c),
  };
}

/** What a client process printed and how it exited. */
export type RunResult = DockerRunResult;

/** Runs `cmd args` with `env` added to a minimal environment; rejects only on timeout (default 60 s). */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunResult> {
  return runProcess(cmd, args, { env, timeoutMs });
}

/** Replaces the per-path name prefix with `P-` and 64-hex ids with `<ID>`. */
export function normalise(s: string, prefix: string): string {
  return s.replaceAll(prefix, 'P-').replace(/[0-9a-f]{64}/g, '<ID>');
}
