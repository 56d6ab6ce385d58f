/**
 * Images and plugins across 3 real private dockerd daemons, through a real swarmd process (`dockerserver
 * → aggregate → 3 × dockerclient`) driven by the real docker CLI (issue 12): push to and pull from a
 * private registry (Debian's docker-registry on loopback: no internet here), a hung node during a pull,
 * a down node's images kept visible and reserved then reconciled, load/import placement followed by the
 * runs of that image, and plugins merged across nodes. Every test checks the daemons directly. Tests
 * share the daemons and run in order.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, type DockerRunResult, docker, startDaemons, stopDaemons } from '../harness/index.js';
import { type Registry, startRegistry } from '../harness/registry.js';
import { api, type FaultBed, nodeStatuses, startBed, within } from './fault-bed.js';

let ds: Daemon[];
let bed: FaultBed;
let registry: Registry;
let work: string;
/** The busybox rootfs tarball the harness imported as busybox:local (an image to import or load). */
let rootfs: string;

const swarm = (args: string[], timeoutMs = 30_000) => docker(args, { host: bed.host, timeoutMs });
const direct = (d: Daemon, args: string[], timeoutMs = 30_000) => docker(args, { host: d.host, timeoutMs });
const lines = (s: string) => s.split('\n').filter(Boolean);
const node = (i: number) => ds[i] as Daemon;

async function ok(p: Promise<DockerRunResult>): Promise<string> {
  const r = await p;
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

/** The daemons (asked directly) on which `image` exists. */
async function imageOn(image: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of ds) if ((await direct(d, ['image', 'inspect', image])).code === 0) out.push(d.name);
  return out;
}

/** The daemons (asked directly) holding a container called `name`. */
async function containerOn(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of ds)
    if (lines((await direct(d, ['ps', '-a', '--format', '{{.Names}}'])).stdout).includes(name))
      out.push(d.name);
  return out;
}

const status = async (name: string) => (await nodeStatuses(bed.host))[name];

beforeAll(async () => {
  [registry, ds] = await Promise.all([startRegistry(), startDaemons(3)]);
  bed = await startBed(ds);
  work = mkdtempSync(join(tmpdir(), 'agi-'));
  rootfs = join(dirname(node(0).dir), 'rootfs.tar');
}, 120_000);

afterAll(async () => {
  await bed?.stop();
  if (bed) rmSync(bed.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  await Promise.all([stopDaemons(ds ?? []), registry?.stop()]);
}, 90_000);

describe('aggregate images over 3 real daemons and a private registry', () => {
  it('push goes to the holder; pull goes to every node with merged progress; a hung node is named', async () => {
    const ref = `${registry.address}/agg-pull:1`;
    await ok(swarm(['import', rootfs, 'agg-src:1']));
    const [home] = await imageOn('agg-src:1');
    expect(home).toBeDefined();
    await ok(swarm(['tag', 'agg-src:1', ref]));
    const pushed = await ok(swarm(['push', ref], 60_000));
    expect(pushed).toMatch(/digest: sha256:[0-9a-f]{64}/);
    // --all-tags names no tag: the node holding the repository's tags pushes them all.
    const ref2 = `${registry.address}/agg-pull:2`;
    await ok(swarm(['tag', 'agg-src:1', ref2]));
    const all = await ok(swarm(['push', '--all-tags', `${registry.address}/agg-pull`], 60_000));
    expect(all).toMatch(/^1: digest: /m);
    expect(all).toMatch(/^2: digest: /m);
    await ok(swarm(['rmi', ref, ref2, 'agg-src:1']));
    expect(await imageOn(ref)).toEqual([]);

    const pulled = await ok(swarm(['pull', ref], 60_000));
    // Each node's own progress, its lines labelled with the node.
    for (const d of ds) expect(pulled).toMatch(new RegExp(`${d.name}(/[0-9a-f]+)?: `));
    expect(await imageOn(ref)).toEqual(ds.map((d) => d.name));
    await ok(swarm(['rmi', ref]));
    expect(await imageOn(ref)).toEqual([]);
    // A tag the registry does not have: every node refuses, the answer is dockerd's own.
    const missing = await swarm(['pull', `${registry.address}/agg-pull:nope`], 60_000);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/manifest unknown|not found/);

    // node3 hangs just before a pull (not yet seen by the health probe): the others pull, node3 is named.
    node(2).kill('SIGSTOP');
    try {
      const t0 = performance.now();
      const r = await swarm(['pull', ref], 60_000);
      const seconds = (performance.now() - t0) / 1000;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/node3: (pull failed|pull stopped|not pulled): .*node3/);
      // The op deadline is 30 s: the pull ends when node3 is declared down (~2-3 s), not then.
      expect(seconds).toBeLessThan(15);
      console.log(`[images] pull with node3 hung: ${seconds.toFixed(2)} s`);
      const reachable = [node(0), node(1)];
      for (const d of reachable) expect((await direct(d, ['image', 'inspect', ref])).code).toBe(0);
      // Once node3 is down, a pull names it without waiting on it.
      await within(15_000, 'node3 down', async () => (await status('node3')) === 'Unhealthy');
      const again = await ok(swarm(['pull', ref], 30_000));
      expect(again).toMatch(/node3: not pulled: node node3 is down/);
      // What the hung node last listed stays in `docker images`, marked as its and Host Down.
      const listed = await api(bed.host, 'GET', '/images/json');
      const rows = listed.body as { RepoTags?: string[]; Labels?: Record<string, string> }[];
      const ours = rows.find((r) => r.RepoTags?.includes('node3/busybox:local'));
      expect(ours?.Labels?.['com.docker.swarm.node.state']).toBe('Host Down');
      expect(rows.find((r) => r.RepoTags?.includes('node1/busybox:local'))?.Labels ?? {}).not.toHaveProperty(
        'com.docker.swarm.node.state',
      );
    } finally {
      node(2).kill('SIGCONT');
    }
    await within(15_000, 'node3 healthy', async () => (await status('node3')) === 'Healthy');
    // node3 may still read the abandoned pull request after SIGCONT and pull late: removed until none has it.
    await within(20_000, 'the image gone from every daemon', async () => {
      for (const d of ds) await direct(d, ['rmi', '-f', ref]);
      return (await imageOn(ref)).length === 0;
    });
  }, 180_000);

  it("a killed daemon's images stay listed (Host Down) and reserved, and are reconciled when it returns", async () => {
    const node3 = node(2);
    // Made and removed on node3 directly, behind the aggregate's back: its event stream tells it.
    await ok(direct(node3, ['import', rootfs, 'agg-down:1']));
    await ok(direct(node3, ['import', rootfs, 'agg-gone:1']));
    await ok(direct(node3, ['rmi', 'agg-gone:1']));
    // The follower lists node3's images again on each image event (within 1 s: objects.test.ts).
    await new Promise((r) => setTimeout(r, 2_000));
    node3.kill('SIGKILL');
    await within(15_000, 'node3 down', async () => (await status('node3')) === 'Unhealthy');

    const names = lines(await ok(swarm(['images', '--format', '{{.Repository}}:{{.Tag}}'])));
    expect(names).toContain('node3/agg-down:1');
    expect(names.some((n) => n.includes('agg-gone'))).toBe(false);
    const listed = await api(bed.host, 'GET', '/images/json');
    const row = (listed.body as { RepoTags?: string[]; Labels?: Record<string, string> }[]).find((r) =>
      r.RepoTags?.includes('node3/agg-down:1'),
    );
    expect(row?.Labels).toMatchObject({
      'com.docker.swarm.node.state': 'Host Down',
      'com.docker.swarm.node': 'node3',
    });
    expect(String(listed.headers['x-swarm-warning'])).toMatch(/node3/);
    // Reserved: a run or an inspect of it names node3 (not "No such image", which would start a pull).
    const run = await swarm(['run', '--rm', '--network', 'none', 'agg-down:1', 'true']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/agg-down:1 is only on node node3, which is (down|backoff)/);
    expect(run.stderr).not.toMatch(/Unable to find image/);
    const inspect = await swarm(['image', 'inspect', 'agg-down:1']);
    expect(inspect.stderr).toMatch(/node node3/);

    await node3.restart();
    await within(15_000, 'node3 healthy', async () => (await status('node3')) === 'Healthy');
    const back = lines(await ok(swarm(['images', '--format', '{{.Repository}}:{{.Tag}}'])));
    expect(back).toContain('agg-down:1');
    expect(back).not.toContain('node3/agg-down:1');
    await ok(swarm(['run', '-d', '--name', 'dn1', '--network', 'none', 'agg-down:1', 'sleep', '60']));
    expect(await containerOn('dn1')).toEqual(['node3']);
    await ok(swarm(['rm', '-f', 'dn1']));
    await ok(swarm(['rmi', 'agg-down:1']));
    expect(await imageOn('agg-down:1')).toEqual([]);
  }, 120_000);

  it('load and import are placed on one node, and later runs of that image land there', async () => {
    // A tarball to load: an image made on node1 directly, saved, then removed there.
    const saved = join(work, 'load.tar');
    await ok(direct(node(0), ['import', rootfs, 'agg-load:1']));
    await ok(direct(node(0), ['save', '-o', saved, 'agg-load:1']));
    await ok(direct(node(0), ['rmi', 'agg-load:1']));
    await ok(swarm(['load', '-i', saved], 60_000));
    await ok(swarm(['import', rootfs, 'agg-imp:1'], 60_000));
    for (const image of ['agg-load:1', 'agg-imp:1']) {
      const holders = await imageOn(image);
      expect(holders, image).toHaveLength(1);
      // Spread would put three containers on three nodes: the image keeps them on its node.
      const names = [1, 2, 3].map((i) => `${image.replace(/[:]/g, '-')}-${i}`);
      for (const n of names)
        await ok(swarm(['run', '-d', '--name', n, '--network', 'none', image, 'sleep', '60']));
      for (const n of names) expect(await containerOn(n), n).toEqual(holders);
      await ok(swarm(['rm', '-f', ...names]));
      await ok(swarm(['rmi', image]));
      expect(await imageOn(image)).toEqual([]);
    }
    // An import named node/repo:tag is made on that node (as that repo:tag).
    await ok(swarm(['import', rootfs, 'node2/agg-imp2:1'], 60_000));
    expect(await imageOn('agg-imp2:1')).toEqual(['node2']);
    await ok(swarm(['rmi', 'agg-imp2:1']));
  }, 120_000);

  it("node/repo:tag, as docker images lists a tag repeated on nodes, reaches that node's image", async () => {
    // busybox:local was imported into each daemon separately: one tag, three images.
    const listed = lines(await ok(swarm(['images', '--format', '{{.Repository}}:{{.Tag}}'])));
    expect(listed).toEqual(expect.arrayContaining(['node1/busybox:local', 'node2/busybox:local']));
    const idOn = async (d: Daemon) =>
      (await ok(direct(d, ['image', 'inspect', '-f', '{{.Id}}', 'busybox:local']))).trim();
    for (const d of ds) {
      const viaAgg = await ok(swarm(['image', 'inspect', '-f', '{{.Id}}', `${d.name}/busybox:local`]));
      expect(viaAgg.trim()).toBe(await idOn(d));
    }
    // A run of node3/busybox:local lands on node3, whatever spread prefers.
    for (const i of [1, 2]) {
      await ok(
        swarm(['run', '-d', '--name', `pin${i}`, '--network', 'none', 'node3/busybox:local', 'sleep', '60']),
      );
      expect(await containerOn(`pin${i}`)).toEqual(['node3']);
    }
    await ok(swarm(['rm', '-f', 'pin1', 'pin2']));
    // tag, save and rmi by node/ act on that node only.
    await ok(swarm(['tag', 'node2/busybox:local', 'agg-pinned:1']));
    expect(await imageOn('agg-pinned:1')).toEqual(['node2']);
    const saved = join(work, 'pinned.tar');
    await ok(swarm(['save', '-o', saved, 'node2/agg-pinned:1']));
    await ok(swarm(['rmi', 'node2/agg-pinned:1']));
    expect(await imageOn('agg-pinned:1')).toEqual([]);
    expect(await imageOn('busybox:local')).toEqual(ds.map((d) => d.name));
  }, 90_000);

  it('plugin ls merges every node (node/name where names repeat); calls go to the node that has it', async () => {
    const dir = join(work, 'plugin');
    mkdirSync(join(dir, 'rootfs'), { recursive: true });
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        description: 'aggregate test plugin',
        documentation: 'none',
        entrypoint: ['/bin/true'],
        interface: { types: ['docker.volumedriver/1.0'], socket: 'p.sock' },
        network: { type: 'host' },
        linux: { capabilities: [] },
      }),
    );
    await ok(direct(node(0), ['plugin', 'create', 'aggplug', dir]));
    await ok(direct(node(1), ['plugin', 'create', 'aggplug', dir]));
    await ok(direct(node(2), ['plugin', 'create', 'only3', dir]));
    const names = lines(await ok(swarm(['plugin', 'ls', '--format', '{{.Name}}']))).sort();
    expect(names).toEqual(['node1/aggplug:latest', 'node2/aggplug:latest', 'only3:latest']);
    const ids = await Promise.all(
      [node(0), node(1)].map(async (d) =>
        (await ok(direct(d, ['plugin', 'inspect', '-f', '{{.Id}}', 'aggplug']))).trim(),
      ),
    );
    // node/name reaches that node's plugin; a name only one node has reaches it.
    expect((await ok(swarm(['plugin', 'inspect', '-f', '{{.Id}}', 'node2/aggplug']))).trim()).toBe(ids[1]);
    expect((await ok(swarm(['plugin', 'inspect', '-f', '{{.Id}}', 'node1/aggplug']))).trim()).toBe(ids[0]);
    await ok(swarm(['plugin', 'rm', 'only3']));
    expect(lines(await ok(direct(node(2), ['plugin', 'ls', '--format', '{{.Name}}'])))).toEqual([]);
    // A create with a node/ prefix lands on that node.
    await ok(swarm(['plugin', 'create', 'node3/made3', dir]));
    expect(lines(await ok(direct(node(2), ['plugin', 'ls', '--format', '{{.Name}}'])))).toEqual([
      'made3:latest',
    ]);
    await ok(swarm(['plugin', 'rm', 'node1/aggplug', 'node2/aggplug', 'made3']));
    for (const d of ds) expect(lines(await ok(direct(d, ['plugin', 'ls', '-q'])))).toEqual([]);
  }, 90_000);
});
