/**
 * Chaos over 3 real dockerd daemons through a real swarmd process (`dockerserver → aggregate → 3 ×
 * dockerclient`), driven by the real docker CLI. For RUN_MS, lanes of mixed calls run at once while a
 * fault driver STOPs/CONTs or KILLs and restarts one daemon at a time, each healthy again before the
 * next, on a seeded schedule (printed; `CHAOS_SEED` replays the schedule and the lanes' choices, not
 * their timing). Then: swarmd never exited nor logged an error; every call ended ({@link outcomeOf});
 * calls that needed no faulted node met a floor; once all nodes are healthy a run on each node works,
 * its events reach the events stream that stayed open, logs -f and attach still carry output, and
 * connections per daemon settle at most at the pool size, then to the probe's once idle.
 * Floors, from what was measured (40 s runs, 2 cores): ps -a and info (fan-outs, which never wait on a
 * faulted node) and calls pinned to a node with no fault during the call succeeded 100 % in every run.
 * The floor is 95 %: a starved (not faulted) daemon on a loaded 2-core machine can miss the aggregate's
 * 1 s read deadline, which is that deadline doing its job. Bugs this found are named in their fixes'
 * comments (views.ts mergedEvents, node-calls.ts send) with the seeds that showed them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  clientEnv,
  connectionsOn,
  type Daemon,
  DOCKER_CLI,
  docker,
  pingSocket,
  startDaemons,
  stopDaemons,
} from '../harness/index.js';
import { type FaultBed, IMAGE, nodeStatuses, POOL, sleep, startBed, within } from './fault-bed.js';

const RUN_MS = Number(process.env.CHAOS_MS ?? 40_000);
const CALL_MS = 30_000;
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const NODES = ['node1', 'node2', 'node3'];
const STREAMS = ['logs -f', 'attach'];
const DOCKER_ERROR =
  /Error response from daemon: |error from daemon in stream: |Cannot connect to the Docker/;
const EVENT_FORMAT = '{{.Actor.Attributes.name}} {{.Action}}';
const words = (s: string) => s.split(' ');
/** `docker run --network none <opts> busybox <cmd…>`; `pin` keeps it on one node. */
const run = (opts: string, ...cmd: string[]) => [...words(`run --network none ${opts}`), IMAGE, ...cmd];
const pin = (n: string) => `-e constraint:node==${n}`;

/** mulberry32: a small seeded PRNG, so a schedule can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

let ds: Daemon[];
let bed: FaultBed;
const t00 = performance.now();
const now = () => Math.round(performance.now() - t00);

/** One ended CLI call; `node`: the node it was pinned to (routed or constrained), if any. */
type Call = { lane: string; node?: string; t0: number; t1: number; code: number | 'timeout'; err: string };
const calls: Call[] = [];
/** Per node, when a fault began and when the node was seen healthy again after it. */
const faults: { node: string; kind: 'KILL' | 'STOP'; t0: number; t1: number }[] = [];

/**
 * 0; or a Docker-style error (from the daemon side, or the CLI failing to reach it) naming a node
 * (`node2`) or a daemon (its socket, or the symlink swarmd uses). One exception, `cut-by-kill`: a logs -f
 * or attach whose node was KILLed while it was open, ending then with `unexpected EOF`. That is what
 * the CLI prints talking straight to a dockerd that dies (measured: logs -f, attach and events alike):
 * once the headers are out, HTTP has no way left to say why. (events through swarmd must not end at all.)
 */
/**
 * `refused-upgrade`: a call that hijacks (run's attach, attach, exec) refused with 503, which is what swarmd
 * answers when the container's node is down. The CLI drops the body of any non-101 answer to an upgrade
 * (docker-cli-wire.md §3.1: "unable to upgrade to tcp, received N"), so the message naming the node never
 * shows. Allowed only up to 5 s after a fault ended: a daemon just CONTinued or restarted can still be slow
 * enough to be declared down once more (seen in CI: CHAOS_SEED=1962324654, run --rm at 2.1 s, node1 STOPped
 * until 1.6 s, then down again for missing its 1 s deadline on events and container.list).
 */
const HIJACKS = ['run --rm', 'attach', 'exec'];

function outcomeOf(
  c: Call,
): 'ok' | 'node-error' | 'cut-by-kill' | 'refused-upgrade' | 'other-error' | 'timeout' {
  if (c.code === 'timeout' || c.code === 0) return c.code === 0 ? 'ok' : 'timeout';
  const sockets = ds.flatMap((d) => [d.socket, `${bed.dir}/${d.name}.sock`]);
  const named = /\bnode[123]\b/.test(c.err) || sockets.some((s) => c.err.includes(s));
  if (named && DOCKER_ERROR.test(c.err)) return 'node-error';
  if (
    HIJACKS.includes(c.lane) &&
    c.err === 'unable to upgrade to tcp, received 503' &&
    faults.some((f) => f.t0 <= c.t1 && c.t0 <= f.t1 + 5_000)
  )
    return 'refused-upgrade';
  const killed = faults.some((f) => f.kind === 'KILL' && f.node === c.node && f.t0 <= c.t1 && c.t1 <= f.t1);
  return killed && STREAMS.includes(c.lane) && c.err === 'unexpected EOF' ? 'cut-by-kill' : 'other-error';
}
/** What a failed call printed, the Docker error line first. */
const errText = (s: string) => {
  const lines = s.trim().split('\n');
  const main = lines.find((l) => /Error response|error from daemon|Cannot connect/.test(l));
  return [main, ...lines.filter((l) => l !== main)].filter(Boolean).join(' | ').slice(0, 400);
};

async function cli(lane: string, args: string[], node?: string) {
  const t0 = now();
  try {
    const r = await docker(args, { host: bed.host, timeoutMs: CALL_MS });
    calls.push({ lane, node, t0, t1: now(), code: r.code ?? -1, err: errText(r.stderr) });
    return r;
  } catch (e) {
    calls.push({ lane, node, t0, t1: now(), code: 'timeout', err: errText((e as Error).message) });
  }
}

/** A long-lived CLI on a random node, restarted when it ends (each end is a call). `out`: bytes it printed. */
function streamLane(lane: string, rnd: () => number, argsFor: (node: string) => string[]) {
  const st = { out: 0, seen: '', child: undefined as ChildProcess | undefined, stopping: false };
  const loop = (async () => {
    while (!st.stopping) {
      const node = NODES[Math.floor(rnd() * 3)]!;
      const t0 = now();
      const env = { PATH: process.env.PATH, ...clientEnv(bed.host) };
      const child = spawn(DOCKER_CLI, argsFor(node), { env });
      st.child = child;
      let err = '';
      child.stdout.on('data', (b: Buffer) => {
        st.out += b.length;
        st.seen = (st.seen + b.toString()).slice(-20_000);
      });
      child.stderr.on('data', (b: Buffer) => (err += b));
      const code = (await new Promise<number | null>((r) => child.once('close', r))) ?? -1;
      if (st.stopping) break; // ended by us at the end of the run: not an outcome
      const pinned = lane === 'events' ? undefined : node;
      calls.push({ lane, node: pinned, t0, t1: now(), code, err: errText(err) });
      await sleep(300);
    }
  })();
  const stop = async () => {
    st.stopping = true;
    st.child?.kill('SIGKILL');
    await loop;
  };
  return { st, stop };
}

beforeAll(async () => {
  ds = await startDaemons(3);
  bed = await startBed(ds);
  // A ticking container on each node for logs -f, attach and exec; dockerd restarts it after a KILL.
  for (const n of NODES) {
    const tick = ['sh', '-c', 'while :; do echo tick; sleep 1; done'];
    const r = await docker(run(`-d --restart always --name keep-${n} ${pin(n)}`, ...tick), bed);
    expect(r.code, r.stderr).toBe(0);
  }
}, 90_000);

afterAll(async () => {
  for (const d of ds ?? []) d.kill('SIGCONT');
  bed?.proc.kill('SIGKILL');
  await stopDaemons(ds ?? []);
  if (bed) rmSync(bed.dir, { recursive: true, force: true });
}, 90_000);

it(`chaos: ${RUN_MS / 1000} s of mixed CLI calls while daemons are stopped, killed and restarted`, async () => {
  console.log(`[chaos] seed ${SEED} (replay: CHAOS_SEED=${SEED})`);
  const statuses = () => nodeStatuses(bed.host).catch(() => ({}) as Record<string, string | undefined>);
  const healthy = async (ns: string[]) => {
    const s = await statuses();
    return ns.every((n) => s[n] === 'Healthy');
  };
  await within(20_000, 'healthy at start', () => healthy(NODES));
  const start = now();
  let on = true;
  const lane = async (i: number, body: (node: string, k: number) => Promise<unknown>) => {
    const r = prng(SEED + i);
    for (let k = 0; on; k++) {
      await body(NODES[Math.floor(r() * 3)]!, k);
      await sleep(100 + r() * 300);
    }
  };
  const lanes = [
    lane(1, () => cli('ps -a', ['ps', '-a'])),
    lane(2, () => cli('info', ['info'])),
    lane(3, () => cli('run --rm', run('--rm', 'echo', 'hi'))),
    lane(4, async (n, k) => {
      const made = await cli('run -d', run(`-d --name cyc-${k} ${pin(n)}`, 'echo', 'hi'), n);
      if (made?.code !== 0) return;
      await cli('logs', ['logs', `cyc-${k}`], n);
      await cli('rm -f', ['rm', '-f', `cyc-${k}`], n);
    }),
    lane(5, (n) => cli('exec', ['exec', `keep-${n}`, 'echo', 'hi'], n)),
    lane(6, () => cli('stats', ['stats', '--no-stream'])),
  ];
  const streams = [
    streamLane('events', prng(SEED + 7), () => ['events', '--format', EVENT_FORMAT]),
    streamLane('logs -f', prng(SEED + 8), (n) => words(`logs -f --tail 1 keep-${n}`)),
    streamLane('attach', prng(SEED + 9), (n) => words(`attach --no-stdin --sig-proxy=false keep-${n}`)),
  ];

  // The fault driver: one daemon faulted at a time, the next fault only once it is healthy again.
  const rnd = prng(SEED);
  let kills = 0;
  let stuck = '';
  while (now() - start < RUN_MS - 3_000 && !stuck) {
    const d = ds[Math.floor(rnd() * 3)]!;
    // A KILL takes ~15 s (restart, then healthy): none starts later; one is forced if none came by then.
    const late = now() - start > RUN_MS - 15_000;
    const kill = !late && (rnd() < 0.35 || (kills === 0 && now() - start > RUN_MS * 0.35));
    const t0 = now();
    if (kill) {
      kills++;
      d.kill('SIGKILL');
      await sleep(500 + rnd() * 2_000);
      await d.restart();
    } else {
      d.kill('SIGSTOP');
      await sleep(1_000 + rnd() * 4_000);
      d.kill('SIGCONT');
    }
    await within(30_000, 'healthy', () => healthy([d.name])).catch(async () => {
      stuck = `${d.name} not healthy 30 s after ${kill ? 'KILL' : 'STOP'} (_ping direct: ${await pingSocket(d.socket)})`;
    });
    faults.push({ node: d.name, kind: kill ? 'KILL' : 'STOP', t0, t1: now() });
    await sleep(500 + rnd() * 2_500);
  }
  while (now() - start < RUN_MS && !stuck) await sleep(100);
  on = false;
  await Promise.all(lanes);
  const chaosEnd = now();
  if (!stuck)
    await within(30_000, 'all', () => healthy(NODES)).catch(() => (stuck = 'not all healthy 30 s after'));

  // After the faults: a run pinned on each node works, and its events reach the events stream still open.
  const [events, logsF, attach] = streams.map((s) => s.st);
  const before = [logsF!.out, attach!.out];
  for (const n of stuck ? [] : NODES) {
    const r = await docker(run(`--rm --name final-${n} ${pin(n)}`, 'echo', n), bed);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${n}\n`);
  }
  // Waited for here, asserted after the summary is printed.
  const finalEvents = () => NODES.filter((n) => events!.seen.includes(`final-${n} destroy`));
  await within(10_000, 'events', async () => finalEvents().length === 3).catch(() => {});
  const flowing = () => logsF!.out > before[0]! && attach!.out > before[1]!; // ticks, maybe via a restarted CLI
  await within(10_000, 'flowing', async () => flowing()).catch(() => {});
  for (const s of streams) await s.stop();

  // Summary: per lane, outcomes (`~`: the call overlapped no fault of its node), then the distinct errors.
  const faulted = (c: Call) =>
    faults.some((f) => f.t0 <= c.t1 && c.t0 <= f.t1 && (c.node ?? f.node) === f.node);
  const at = (ms: number) => `${((ms - start) / 1000).toFixed(1)}s`;
  const byLane = new Map<string, Record<string, number>>();
  const messages = new Map<string, number>();
  for (const c of calls) {
    const row = byLane.get(c.lane) ?? {};
    const key = `${outcomeOf(c)}${faulted(c) ? '' : '~'}`;
    row[key] = (row[key] ?? 0) + 1;
    byLane.set(c.lane, row);
    const m = `${outcomeOf(c)}: ${c.lane}: ${c.err.replace(/[0-9a-f]{12,64}/g, '<id>').replace(/cyc-\d+/g, 'cyc-N')}`;
    if (c.code !== 0) messages.set(m, (messages.get(m) ?? 0) + 1);
  }
  const faultList = faults.map((f) => `${f.kind} ${f.node} @${at(f.t0)} healthy @${at(f.t1)}`).join(', ');
  console.log(`[chaos] ${calls.length} calls in ${at(chaosEnd)}; faults: ${faultList}`);
  for (const [l, row] of byLane) console.log(`[chaos]   ${l}: ${JSON.stringify(row)}`);
  for (const [m, k] of messages) console.log(`[chaos]   ${k} × ${m}`);
  const rate = (f: (c: Call) => boolean) => {
    const xs = calls.filter(f);
    return xs.length === 0 ? 1 : xs.filter((c) => c.code === 0).length / xs.length;
  };
  const fanRate = rate((c) => c.lane === 'ps -a' || c.lane === 'info');
  const pinnedRate = rate((c) => c.node !== undefined && !faulted(c));
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log(`[chaos] success: ps -a/info ${pct(fanRate)}, pinned on unfaulted nodes ${pct(pinnedRate)}`);
  console.log(`[chaos] final runs' events seen from: ${finalEvents().join(', ') || 'none'}`);

  const stderr = bed.stderr();
  expect(bed.proc.exitCode, stderr).toBeNull();
  expect(stuck).toBe('');
  expect(stderr).not.toMatch(/Uncaught|Unhandled|"level":(50|60)|gave up|^\s+at /m);
  // Every call that ended away from a fault (more than 5 s after one healed) is ok or names its node.
  // A call overlapping a fault may also end in some other way the CLI reports without a node (all are
  // printed above): a CLI message shape, not a swarmd failure; swarmd's own failures are the exit, stderr
  // and timeout checks here, and the recovery checks below.
  const allowed = ['ok', 'node-error', 'cut-by-kill', 'refused-upgrade'];
  const nearFault = (c: Call) => faults.some((f) => f.t0 <= c.t1 && c.t0 <= f.t1 + 5_000);
  expect(calls.filter((c) => outcomeOf(c) === 'timeout')).toEqual([]);
  expect(calls.filter((c) => !allowed.includes(outcomeOf(c)) && !nearFault(c))).toEqual([]);
  expect(fanRate).toBeGreaterThanOrEqual(0.95);
  expect(pinnedRate).toBeGreaterThanOrEqual(0.95);
  expect(finalEvents()).toEqual(NODES);
  expect(flowing()).toBe(true);
  // Live client ends only (connectionsOn); a hijack's socket closes a moment after its CLI: allow 10 s.
  const counts = () => ds.map((d) => connectionsOn(d.socket));
  await within(10_000, 'connections settle', async () => counts().every((c) => c <= POOL)).catch(() => {});
  console.log(`[chaos] connections per daemon after the run: ${counts().join(', ')} (pool ${POOL})`);
  for (const c of counts()) expect(c).toBeLessThanOrEqual(POOL);
  // Stricter: a pooled socket stuck on an unread body also stays ≤ POOL. Idle ones close after the
  // pool's 10 s keep-alive, leaving the health probe's and the aggregate's event-follow stream (one
  // per healthy daemon, kept open for good), plus one probe socket in reconnection: ≤ 3.
  const idleS = await within(15_000, 'idle', async () => counts().every((c) => c <= 3)).catch(() => NaN);
  console.log(`[chaos] connections per daemon once idle (${idleS} s later): ${counts().join(', ')}`);
  for (const c of counts()) expect(c).toBeLessThanOrEqual(3);
}, 150_000);
