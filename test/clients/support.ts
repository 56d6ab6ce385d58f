/**
 * Shared set-up for the real-client tests: one private dockerd, and in front of it the chain
 * `dockerserver → dockerclient` run in this process (as test/dockerclient/cli-through-chain.test.ts
 * does). Every request the chain forwards is recorded, so a test can prove that its client really
 * went through the chain. Also a small async process runner: the chain lives in this process, so a
 * client must never be run with spawnSync (it would block the very event loop that serves it).
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import { testContext } from '../dockerclient/support.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';

/** A private daemon and the chain in front of it. */
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

/** Starts one private dockerd and the in-process chain in front of it. */
export async function startChain(name: string): Promise<Chain> {
  const [daemon] = (await startDaemons(1)) as [Daemon];
  const dc = new DockerClient(parseEngineArgs([daemon.host]), testContext('dockerclient#1'));
  await dc.start();
  const dir = mkdtempSync(join(tmpdir(), `sw-${name}-`));
  const configDir = join(dir, 'config');
  mkdirSync(configDir);
  const chained = `unix://${dir}/s.sock`;
  const ops: string[] = [];
  let closed = false;
  // The tiny adapter: dockerserver's downstream Sender delivers straight into dockerclient's handle().
  const downstream: Sender<Message> = {
    [kSender]: true,
    send(m: Message) {
      ops.push(String((m.args as Partial<DockerArgs> | undefined)?.op));
      void dc.handle(m);
      return undefined;
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
  let server: StageInstance | undefined;
  try {
    server = await dockerserverStage.create([chained], { ...testContext('dockerserver#0'), downstream });
    await server.start?.();
  } catch (err) {
    await dc.stop();
    await stopDaemons([daemon]);
    throw err;
  }
  return {
    daemon,
    direct: daemon.host,
    chained,
    ops,
    configDir,
    async stop() {
      await server?.stop?.();
      await dc.stop();
      await stopDaemons([daemon]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a client process printed and how it exited. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs `cmd args` with `env` added to a minimal environment; rejects only on timeout (default 60 s). */
export function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunResult> {
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      ...env,
    },
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const text = (b: Buffer[]) => Buffer.concat(b).toString();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms; stdout=${JSON.stringify(text(out))} stderr=${JSON.stringify(text(err))}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout: text(out), stderr: text(err), code });
    });
  });
}

/** Replaces the per-path name prefix with `P-` and 64-hex ids with `<ID>`. */
export function normalise(s: string, prefix: string): string {
  return s.replaceAll(prefix, 'P-').replace(/[0-9a-f]{64}/g, '<ID>');
}
