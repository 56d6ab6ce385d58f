/**
 * swarmd --admin against real parts: a swarmd process `dockerserver → crashy → aggregate` of 3 private
 * dockerd daemons, the page in Debian's chromium (playwright-core), the docker CLI for traffic, and
 * promtool (Debian's prometheus package) to check /metrics. SIGSTOP/SIGCONT a daemon, crash a stage.
 *
 * The screenshot goes to the test's folder; with UPDATE_ADMIN_SCREENSHOT=1 also to docs/admin.png.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionsOn,
  type Daemon,
  docker,
  dockerLive,
  freePort,
  type SwarmdProcess,
  startDaemons,
  startSwarmd,
  stopDaemons,
  until,
} from '../harness/index.js';
import { CHROMIUM } from '../harness/install.js';
import { scrapeChecked } from './promtool.js';

const CRASHY = fileURLToPath(new URL('./crash-stage.mjs', import.meta.url));
const DOCS_PNG = fileURLToPath(new URL('../../docs/admin.png', import.meta.url));

let daemons: Daemon[];
let swarmd: SwarmdProcess;
let dir: string;
let host: string;
let admin: string;
let browser: Browser;
let page: Page;

interface TreeNode {
  kind: string;
  id: string;
  restarts: number;
  health?: { state: string };
  children?: TreeNode[];
}
async function tree(): Promise<TreeNode> {
  return ((await (await fetch(`${admin}/api/tree`)).json()) as { tree: TreeNode }).tree;
}
function find(n: TreeNode, id: string, kind = 'actor'): TreeNode | undefined {
  if (n.id === id && n.kind === kind) return n;
  for (const c of n.children ?? []) {
    const hit = find(c, id, kind);
    if (hit) return hit;
  }
  return undefined;
}
const row = (id: string) => page.locator(`.actor[data-id="${id}"]`);

beforeAll(async () => {
  daemons = await startDaemons(3);
  dir = mkdtempSync(join(tmpdir(), 'admin-'));
  host = `unix://${join(dir, 's.sock')}`;
  const port = await freePort();
  admin = `http://127.0.0.1:${port}`;
  const nodes = daemons.map((d) => `"${d.name}=dockerclient ${d.host}"`).join(' ');
  swarmd = await startSwarmd(
    ['--admin', admin, `dockerserver ${host}`, CRASHY, `aggregate ${nodes}`],
    60_000,
    { logLevel: 'error' },
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1500, height: 760 } });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await swarmd?.stop();
  await stopDaemons(daemons ?? []);
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the admin page in a real browser', () => {
  it('shows the supervision tree with 3 healthy daemons, live', async () => {
    await page.goto(admin);
    await page.evaluate(() => {
      (globalThis as unknown as { loadedOnce: number }).loadedOnce = 1;
    });
    for (const d of daemons) await row(d.name).and(page.locator('[data-health="healthy"]')).waitFor();
    // The tree: chain → stages → the aggregate's children supervisor → one supervisor per node.
    for (const path of ['chain/dockerserver#1', 'chain/crashy#2', 'chain/aggregate#3/children/node2']) {
      await expect(page.locator(`.sup[data-path="${path}"]`).count()).resolves.toBe(1);
    }
    // Some seconds of traffic for the sparklines, then the picture for the README.
    const end = Date.now() + 8000;
    while (Date.now() < end) expect((await docker(['ps', '-a'], { host })).code).toBe(0);
    const png = join(dir, 'admin.png');
    await page.screenshot({ path: png, fullPage: true });
    if (process.env.UPDATE_ADMIN_SCREENSHOT === '1') copyFileSync(png, DOCS_PNG);
  }, 60_000);

  it('SIGSTOP of one daemon shows on its node without a reload, SIGCONT brings it back', async () => {
    const d = daemons[1] as Daemon;
    const stopped = Date.now();
    d.kill('SIGSTOP');
    try {
      // When swarmd itself knows (its health machine), to tell that apart from the page's own lag.
      let known: number | undefined;
      const watch = until(
        async () => {
          const h = find(await tree(), d.name)?.health?.state;
          if (h !== undefined && h !== 'healthy') known ??= Date.now() - stopped;
          return known !== undefined;
        },
        20_000,
        'the API to show the node not healthy',
        50,
      );
      await row(d.name).and(page.locator(':not([data-health="healthy"])')).waitFor({ timeout: 20_000 });
      const onPage = Date.now() - stopped;
      await watch;
      const h = await row(d.name).getAttribute('data-health');
      expect(['degraded', 'down', 'backoff']).toContain(h);
      // Reported, not asserted (timings on a shared machine): the health machine's probe interval and
      // deadline, then at most one 200 ms health push to the page.
      console.log(
        `admin test: SIGSTOP → /api/tree shows ${d.name} not healthy after ${known} ms, the page ${h} after ${onPage} ms`,
      );
      // The others stay healthy, and the page was never reloaded.
      for (const other of [daemons[0], daemons[2]] as Daemon[])
        expect(await row(other.name).getAttribute('data-health')).toBe('healthy');
    } finally {
      d.kill('SIGCONT');
    }
    await row(d.name).and(page.locator('[data-health="healthy"]')).waitFor({ timeout: 20_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: number }).loadedOnce)).toBe(1);
  }, 60_000);

  it('a stage that crashes shows its restart counter rise', async () => {
    const before = Number(await row('crashy#2').getAttribute('data-restarts'));
    const r = await docker(['inspect', 'crash-me'], { host });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('crashy: asked to crash');
    await until(
      async () => Number(await row('crashy#2').getAttribute('data-restarts')) > before,
      15_000,
      'the crashy row to show a restart',
      100,
    );
    expect(find(await tree(), 'crashy#2')?.restarts).toBe(before + 1);
    await expect(row('crashy#2').locator('.err').textContent()).resolves.toContain('asked to crash');
    // The crashed stage came back: requests go through again.
    expect((await docker(['ps'], { host })).code).toBe(0);
  }, 60_000);
});

/** Parses one Prometheus text exposition into `name{labels}` → value (checked by promtool first). */
const scrape = () => scrapeChecked(admin, join(dir, 'metrics.txt'));

describe('/metrics, /readyz, /healthz', () => {
  it('is valid Prometheus text (promtool) and its counters move with requests', async () => {
    const list = 'swarmd_stage_requests_total{stage="aggregate#3",op="container.list"}';
    const ok = 'swarmd_stage_responses_total{stage="aggregate#3",op="container.list",status="2xx"}';
    const before = await scrape();
    for (let i = 0; i < 10; i++) expect((await docker(['ps'], { host })).code).toBe(0);
    const after = await scrape();
    expect((after.get(list) ?? 0) - (before.get(list) ?? 0)).toBe(10);
    expect((after.get(ok) ?? 0) - (before.get(ok) ?? 0)).toBe(10);
    const count = 'swarmd_stage_request_duration_seconds_count{stage="aggregate#3",op="container.list"}';
    expect((after.get(count) ?? 0) - (before.get(count) ?? 0)).toBe(10);
    expect(after.get(`swarmd_build_info{version="0.1.0",nodejs="${process.versions.node}"}`)).toBe(1);
    for (const d of daemons)
      expect(after.get(`swarmd_node_health{node="${d.name}",state="healthy"}`)).toBe(1);
    expect(after.get('swarmd_actor_restarts_total{stage="crashy#2"}')).toBeGreaterThanOrEqual(1);
    expect(after.get('swarmd_actor_mailbox_capacity{stage="aggregate#3"}')).toBe(1024);
    // A run attaches (an upgraded stream: 1xx) and waits, through the chain to a real daemon.
    const run = await docker(['run', '--rm', '--network', 'none', 'busybox:local', 'echo', 'hi'], { host });
    expect(run.stdout).toBe('hi\n');
    const ran = await scrape();
    const attach = 'swarmd_stage_responses_total{stage="aggregate#3",op="container.attach",status="1xx"}';
    expect((ran.get(attach) ?? 0) - (after.get(attach) ?? 0)).toBe(1);
    // Labels are bounded: stage and node names, ops, status classes, states — never a container id.
    for (const key of after.keys()) expect(key).not.toMatch(/[0-9a-f]{12}/);
  }, 60_000);

  it('counts the streams each dockerclient node holds open to its daemon', async () => {
    const streams = (m: Map<string, number>) =>
      daemons.reduce((n, d) => n + (m.get(`swarmd_daemon_streams_open{stage="${d.name}"}`) ?? 0), 0);
    const first = await scrape();
    const before = streams(first);
    for (const d of daemons) expect(first.get(`swarmd_daemon_streams_limit{stage="${d.name}"}`)).toBe(128);
    // A container whose logs are followed through the chain: one stream from its node to its daemon.
    const id = (
      await docker(
        ['run', '-d', '--network', 'none', '--name', 'follow-me', 'busybox:local', 'sleep', '60'],
        {
          host,
        },
      )
    ).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const logs = dockerLive(['logs', '-f', 'follow-me'], host);
    try {
      await until(
        async () => streams(await scrape()) > before,
        15_000,
        'one more stream open to a daemon',
        200,
      );
    } finally {
      logs.child.kill('SIGKILL');
      await docker(['rm', '-f', 'follow-me'], { host });
    }
  }, 60_000);

  it('counts the pooled connections a node uses while a plain call holds one', async () => {
    const key = (d: Daemon) => `swarmd_daemon_connections_in_use{stage="${d.name}",kind="pooled"}`;
    const pooled = (m: Map<string, number>) => daemons.reduce((n, d) => n + (m.get(key(d)) ?? 0), 0);
    const first = await scrape();
    for (const d of daemons) {
      expect(first.get(key(d))).toBeDefined();
      expect(first.get(`swarmd_daemon_pool_waiting{stage="${d.name}"}`)).toBe(0);
    }
    // `sleep` as a container's PID 1 has no SIGTERM handler, so `docker stop -t 4` waits the 4 s out:
    // one plain call (POST /containers/{id}/stop) holding a pooled connection to its daemon that long.
    const run = ['run', '-d', '--network', 'none', '--name', 'stop-me', 'busybox:local', 'sleep', '60'];
    expect((await docker(run, { host })).code).toBe(0);
    const stopping = docker(['stop', '-t', '4', 'stop-me'], { host });
    try {
      await until(async () => pooled(await scrape()) >= 1, 3_000, 'a pooled connection in use', 100);
      // Still in use half a second and a second later: the stop call, not a health probe (~1 ms).
      for (const wait of [500, 500]) {
        await new Promise((r) => setTimeout(r, wait));
        expect(pooled(await scrape())).toBeGreaterThanOrEqual(1);
      }
      expect((await stopping).code).toBe(0);
    } finally {
      await stopping;
      await docker(['rm', '-f', 'stop-me'], { host });
    }
    // Answered: the connection is back in the pool.
    await until(async () => pooled(await scrape()) === 0, 5_000, 'no pooled connection in use', 100);
    // …and still connected, idle: every socket dockerd sees from swarmd is a pooled one or a stream's
    // (nothing else talks to these daemons), counted against the kernel's own table (ss).
    for (const d of daemons) {
      let last = '';
      await until(
        async () => {
          const m = await scrape();
          const pool = m.get(`swarmd_daemon_pool_connections{stage="${d.name}"}`) ?? -1;
          const streams = m.get(`swarmd_daemon_streams_open{stage="${d.name}"}`) ?? -1;
          const seen = connectionsOn(d.socket);
          last = `${d.name}: pool ${pool} + streams ${streams} vs ${seen} sockets on the daemon`;
          return pool >= 1 && pool + streams === seen;
        },
        5_000,
        () => last,
        100,
      );
    }
  }, 60_000);

  it('answers the probes', async () => {
    expect((await fetch(`${admin}/healthz`)).status).toBe(200);
    await until(async () => (await fetch(`${admin}/readyz`)).status === 200, 20_000, '/readyz 200');
  });
});
