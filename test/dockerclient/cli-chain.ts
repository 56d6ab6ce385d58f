/**
 * The docker CLI through `dockerserver → dockerclient → a private dockerd`, compared with the same command
 * run directly against that dockerd: the chain fixture, `same()` (run both, normalise ids and the
 * per-side name prefix, expect equal) and settle checks. Live and pseudo-terminal CLIs are in
 * test/harness/live-cli.ts.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient, type DockerClientOptions } from '../../src/backends/dockerclient.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import {
  connectionsOn,
  type Daemon,
  type DockerRunResult,
  docker,
  startDaemons,
  stopDaemons,
  until,
} from '../harness/index.js';
import { testContext } from './support.js';

/** Containers run without a network (the private daemons have no bridge). */
export const NET = ['--network', 'none'];
/** The image every private daemon has. */
export const IMG = 'busybox:local';

/**
 * The tiny adapter: dockerserver's downstream Sender delivers straight into dockerclient's handle().
 * `ops` collects the op of every request it forwarded, so a test can prove its client went through.
 */
export function senderTo(stage: StageInstance, ops?: string[]): Sender<Message> {
  let closed = false;
  return {
    [kSender]: true,
    send(m: Message) {
      ops?.push(String((m.args as Partial<DockerArgs> | undefined)?.op));
      void stage.handle(m);
      return undefined;
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}

/** A running chain in front of one private daemon. */
export interface Chain {
  d: Daemon;
  dc: DockerClient;
  server: StageInstance;
  /** A scratch folder (removed by {@link stopChain}); the chain's socket lives in it. */
  dir: string;
  /** `unix://…` of dockerserver, for DOCKER_HOST. */
  host: string;
  /** `op` of every request the chain forwarded, in order (`container.create`, …). */
  ops: string[];
}

/** Starts one daemon, a dockerclient in front of it and a dockerserver in front of that. */
export async function startChain(opts: DockerClientOptions = {}): Promise<Chain> {
  const [d] = (await startDaemons(1)) as [Daemon];
  const dc = new DockerClient(parseEngineArgs([d.host]), testContext('dockerclient#1'), opts);
  await dc.start();
  const dir = mkdtempSync('/tmp/sw-chain-');
  const host = `unix://${dir}/s.sock`;
  const ops: string[] = [];
  const chain: Partial<Chain> = { d, dc, dir, host, ops };
  try {
    chain.server = await dockerserverStage.create([host], {
      ...testContext('dockerserver#0'),
      downstream: senderTo(dc, ops),
    });
    await chain.server.start?.();
  } catch (err) {
    await stopChain(chain);
    throw err;
  }
  return chain as Chain;
}

/** Stops what {@link startChain} started; tolerates a partly started chain. */
export async function stopChain(c: Partial<Chain> | undefined): Promise<void> {
  await c?.server?.stop?.();
  await c?.dc?.stop();
  if (c?.d) await stopDaemons([c.d]);
  if (c?.dir) rmSync(c.dir, { recursive: true, force: true });
}

/**
 * Replaces 64-hex ids with `<ID>`, then the side's name prefix with `P-`. Ids first: an id ending in
 * `cc` followed by `-init` (an overlay2 layer directory) held the chain side's prefix `cc-` (a CI run).
 */
export function norm(r: DockerRunResult, prefix: string): DockerRunResult {
  const clean = (s: string) => s.replace(/[0-9a-f]{64}/g, '<ID>').replaceAll(prefix, 'P-');
  return { stdout: clean(r.stdout), stderr: clean(r.stderr), code: r.code };
}

/** Options of {@link Comparer.same}. */
export interface SameOptions {
  input?: string | Buffer;
  /** Two different containers: pids, sizes and times differ, the shape must not. Digits → N. */
  numbers?: boolean;
  /** Any further normalisation of both sides' stdout. */
  stdout?: (s: string) => string;
  /** Both sides list the whole daemon (ps, df): keep the `dd-`/`cc-` names as they are. */
  keepNames?: boolean;
}

/** Runs a command directly (prefix `dd-`) and through the chain (prefix `cc-`) and compares. */
export interface Comparer {
  both(
    args: (p: string) => string[],
    opts?: SameOptions,
  ): Promise<{ direct: DockerRunResult; chained: DockerRunResult }>;
  /** Expects equal stdout, stderr and exit code; returns the (normalised) direct result. */
  same(args: (p: string) => string[], opts?: SameOptions): Promise<DockerRunResult>;
}

/** Digits (and the spaces tables pad with) normalised: `N`. */
export function numbersOut(s: string): string {
  return s.replace(/\b\d[\d:]*\b/g, 'N').replace(/ +/g, ' ');
}

/** `same()` and `both()` bound to a chain. */
export function comparer(c: () => Pick<Chain, 'd' | 'host'>): Comparer {
  const both: Comparer['both'] = async (args, opts = {}) => {
    const run = { input: opts.input };
    const [dd, cc] = opts.keepNames ? ['<none>', '<none>'] : ['dd-', 'cc-'];
    const direct = norm(await docker(args('dd-'), { host: c().d.host, ...run }), dd);
    const chained = norm(await docker(args('cc-'), { host: c().host, ...run }), cc);
    for (const r of [direct, chained]) {
      if (opts.numbers) r.stdout = numbersOut(r.stdout);
      if (opts.stdout) r.stdout = opts.stdout(r.stdout);
    }
    return { direct, chained };
  };
  return {
    both,
    async same(args, opts) {
      const { direct, chained } = await both(args, opts);
      expect(chained).toEqual(direct);
      return direct;
    },
  };
}

/** Blocks until `/go` exists in the container: the test decides when the output happens. */
export const UNTIL_GO = 'while [ ! -e /go ]; do sleep 0.1; done';

/** Prints the terminal size once the CLI's resize has reached the container (it comes after start). */
export const TTY_SIZE =
  's=; for i in $(busybox seq 1 50); do s=$(busybox stty size 2>/dev/null); [ -n "$s" ] && [ "$s" != "0 0" ] && break; sleep 0.1; done; echo $s';

/**
 * The fixture of a direct-vs-chain suite: a chain whose dockerclient pools `pool` sockets, started
 * before the suite's tests and stopped after them (call it inside `describe`). `on(p, args)` runs the
 * CLI on side `p` (`dd-` straight to the daemon, `cc-` through the chain); `settled()` is
 * {@link expectSettled} with that pool.
 */
export function chainSuite(pool: number) {
  let started: Chain | undefined;
  const chain = (): Chain => {
    if (!started) throw new Error('the chain is not started (use chainSuite inside describe)');
    return started;
  };
  beforeAll(async () => {
    started = await startChain({ connections: pool });
  });
  afterAll(() => stopChain(started));
  const hostOf = (p: string) => (p === 'dd-' ? chain().d.host : chain().host);
  return {
    chain,
    ...comparer(chain),
    sides: ['dd-', 'cc-'] as const,
    hostOf,
    on: (p: string, args: string[], input?: string | Buffer) => docker(args, { host: hostOf(p), input }),
    settled: () => expectSettled(chain(), pool),
  };
}

/**
 * Expects nothing left open within `ms`: dockerclient holds no stream, and the daemon sees no more
 * connections with a live client end than dockerclient's `pool`.
 */
export async function expectSettled(chain: Chain, pool: number, ms = 5_000): Promise<void> {
  const done = await until(
    () => chain.dc.engine.streamsOpen === 0 && connectionsOn(chain.d.socket) <= pool,
    ms,
    'nothing open',
    20,
  ).catch(() => false);
  expect(
    { done, streams: chain.dc.engine.streamsOpen, sockets: connectionsOn(chain.d.socket) },
    'dockerclient streams / daemon sockets',
  ).toMatchObject({ done: true });
}
