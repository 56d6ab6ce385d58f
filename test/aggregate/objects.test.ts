/**
 * Networks, volumes, images and builds across 3 real private dockerd daemons, through a real swarmd
 * process (`dockerserver → aggregate → 3 × dockerclient`) driven by the real docker CLI and
 * docker-compose 1.29 (issue 12). Every test checks each daemon directly afterwards: nothing left
 * behind, nothing made twice. Tests share the daemons and run in order.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientEnv,
  type Daemon,
  type DockerRunResult,
  docker,
  runProcess,
  startDaemons,
  stopDaemons,
} from '../harness/index.js';
import { DOCKER_COMPOSE } from '../harness/install.js';
import { api, type FaultBed, IMAGE, nodeStatuses, startBed, within } from './fault-bed.js';

let ds: Daemon[];
let bed: FaultBed;
let work: string;

const swarm = (args: string[], timeoutMs = 30_000) => docker(args, { host: bed.host, timeoutMs });
const direct = (d: Daemon, args: string[]) => docker(args, { host: d.host });
const lines = (s: string) => s.split('\n').filter(Boolean);

/** `docker <kind> ls -q`-like names on each daemon, asked directly. */
async function onEach(args: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const d of ds) out[d.name] = lines((await direct(d, args)).stdout);
  return out;
}
/** The daemons whose list holds `name`. */
async function holders(args: string[], name: string): Promise<string[]> {
  const per = await onEach(args);
  return Object.entries(per).flatMap(([n, names]) => (names.includes(name) ? [n] : []));
}
const networksOn = (name: string) => holders(['network', 'ls', '--format', '{{.Name}}'], name);
const volumesOn = (name: string) => holders(['volume', 'ls', '-q'], name);
const containersOn = (name: string) => holders(['ps', '-a', '--format', '{{.Names}}'], name);

async function ok(p: Promise<DockerRunResult>): Promise<string> {
  const r = await p;
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  ds = await startDaemons(3);
  bed = await startBed(ds);
  work = mkdtempSync(join(tmpdir(), 'ago-'));
}, 90_000);

afterAll(async () => {
  await bed?.stop();
  if (bed) rmSync(bed.dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  await stopDaemons(ds ?? []);
}, 90_000);

describe('aggregate objects over 3 real daemons', () => {
  it('network: create, ls, inspect, used by several containers (which follow it), rm', async () => {
    await ok(swarm(['network', 'create', '-o', 'constraint:node==node2', 'net1']));
    expect(await networksOn('net1')).toEqual(['node2']);
    // A second create of the name is refused, as dockerd refuses it.
    const again = await swarm(['network', 'create', 'net1']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already exists/);
    expect(lines(await ok(swarm(['network', 'ls', '--format', '{{.Name}}'])))).toEqual(
      expect.arrayContaining(['net1', 'host', 'none']),
    );
    expect((await ok(swarm(['network', 'inspect', 'net1', '--format', '{{.Name}}']))).trim()).toBe('net1');
    for (const n of ['u1', 'u2', 'u3'])
      await ok(swarm(['run', '-d', '--name', n, '--network', 'net1', IMAGE, 'sleep', '60']));
    for (const n of ['u1', 'u2', 'u3']) expect(await containersOn(n)).toEqual(['node2']);
    await ok(swarm(['rm', '-f', 'u1', 'u2', 'u3']));
    await ok(swarm(['network', 'rm', 'net1']));
    expect(await networksOn('net1')).toEqual([]);
  }, 90_000);

  it('volume: written by one container, read by the next three, wherever spread would put them', async () => {
    await ok(
      swarm(['run', '--rm', '--network', 'none', '-v', 'data1:/d', IMAGE, 'sh', '-c', 'echo hello > /d/f']),
    );
    expect(await volumesOn('data1')).toHaveLength(1);
    const [home] = await volumesOn('data1');
    for (let i = 0; i < 3; i++) {
      const out = await ok(
        swarm(['run', '--rm', '--network', 'none', '-v', 'data1:/d', IMAGE, 'cat', '/d/f']),
      );
      expect(out.trim()).toBe('hello');
    }
    expect(await volumesOn('data1')).toEqual([home]); // never made twice
    expect((await ok(swarm(['volume', 'inspect', 'data1', '--format', '{{.Name}}']))).trim()).toBe('data1');
    // An explicit create placed by constraint, then used.
    await ok(swarm(['volume', 'create', '--label', 'constraint:node==node3', 'vol3']));
    expect(await volumesOn('vol3')).toEqual(['node3']);
    await ok(
      swarm(['run', '-d', '--name', 'w3', '--network', 'none', '-v', 'vol3:/v', IMAGE, 'sleep', '60']),
    );
    expect(await containersOn('w3')).toEqual(['node3']);
    await ok(swarm(['rm', '-f', 'w3']));
    await ok(swarm(['volume', 'rm', 'data1', 'vol3']));
    expect(await volumesOn('data1')).toEqual([]);
    expect(await volumesOn('vol3')).toEqual([]);
  }, 90_000);

  it('dependencies on different nodes fail naming the conflict; --volumes-from and --link follow', async () => {
    await ok(swarm(['volume', 'create', '--label', 'constraint:node==node1', 'va']));
    await ok(swarm(['network', 'create', '--label', 'constraint:node==node2', 'nb']));
    const r = await swarm(['run', '--rm', '--network', 'nb', '-v', 'va:/a', IMAGE, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/volume va on node node1/);
    expect(r.stderr).toMatch(/network nb on node node2/);
    await ok(
      swarm(['run', '-d', '--name', 'src1', '--network', 'none', '-v', 'va:/a', IMAGE, 'sleep', '60']),
    );
    await ok(
      swarm([
        'run',
        '-d',
        '--name',
        'from1',
        '--network',
        'none',
        '--volumes-from',
        'src1',
        IMAGE,
        'sleep',
        '60',
      ]),
    );
    await ok(swarm(['run', '-d', '--name', 'nc1', '--network', 'container:src1', IMAGE, 'sleep', '60']));
    for (const n of ['src1', 'from1', 'nc1']) expect(await containersOn(n)).toEqual(['node1']);
    await ok(swarm(['rm', '-f', 'nc1', 'from1', 'src1']));
    await ok(swarm(['volume', 'rm', 'va']));
    await ok(swarm(['network', 'rm', 'nb']));
  }, 90_000);

  it('a build, then 3 runs that all find the image; rmi removes it everywhere', async () => {
    const ctxDir = join(work, 'build');
    rmSync(ctxDir, { recursive: true, force: true });
    await import('node:fs').then((fs) => fs.mkdirSync(ctxDir, { recursive: true }));
    writeFileSync(join(ctxDir, 'Dockerfile'), `FROM ${IMAGE}\nRUN echo built > /built\n`);
    await ok(swarm(['build', '-q', '-t', 'agg-built:1', ctxDir], 60_000));
    for (let i = 0; i < 3; i++) {
      expect(
        (await ok(swarm(['run', '--rm', '--network', 'none', 'agg-built:1', 'cat', '/built']))).trim(),
      ).toBe('built');
    }
    expect(await holders(['images', '--format', '{{.Repository}}:{{.Tag}}'], 'agg-built:1')).toHaveLength(1);
    await ok(swarm(['tag', 'agg-built:1', 'agg-built:2']));
    expect(lines(await ok(swarm(['images', '--format', '{{.Repository}}:{{.Tag}}'])))).toContain(
      'agg-built:2',
    );
    const saved = join(work, 'saved.tar');
    await ok(swarm(['save', '-o', saved, 'agg-built:1']));
    expect((await import('node:fs')).statSync(saved).size).toBeGreaterThan(0);
    // busybox:local was imported on each daemon separately (a different id on each): the node shows.
    expect(lines(await ok(swarm(['images', '--format', '{{.Repository}}:{{.Tag}}'])))).toEqual(
      expect.arrayContaining(['node1/busybox:local', 'node2/busybox:local', 'node3/busybox:local']),
    );
    expect(await ok(swarm(['system', 'df']))).toMatch(/Images/);
    for (const kind of ['image', 'network', 'volume', 'container']) await ok(swarm([kind, 'prune', '-f']));
    await ok(swarm(['rmi', 'agg-built:1', 'agg-built:2']));
    expect(await holders(['images', '--format', '{{.Repository}}:{{.Tag}}'], 'agg-built:1')).toEqual([]);
    // A build constrained by a build arg lands there.
    await ok(
      swarm(['build', '-q', '--build-arg', 'constraint:node==node3', '-t', 'agg-built:3', ctxDir], 60_000),
    );
    expect(await holders(['images', '--format', '{{.Repository}}:{{.Tag}}'], 'agg-built:3')).toEqual([
      'node3',
    ]);
    await ok(swarm(['rmi', 'agg-built:3']));
  }, 120_000);

  it('compose 1.29: default network, named volume, scale 2; up, ps, down -v leave nothing', async () => {
    const file = join(work, 'docker-compose.yml');
    writeFileSync(
      file,
      [
        'version: "3.7"',
        'services:',
        '  web:',
        `    image: ${IMAGE}`,
        '    command: sh -c "echo web > /data/web; sleep 120"',
        '    volumes: [data:/data]',
        '    scale: 2',
        '  db:',
        `    image: ${IMAGE}`,
        '    command: sleep 120',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'),
    );
    const compose = (args: string[]) =>
      runProcess(DOCKER_COMPOSE, ['-f', file, '-p', 'agc', ...args], {
        env: clientEnv(bed.host),
        timeoutMs: 90_000,
      });
    await ok(compose(['up', '-d']));
    const ps = await ok(compose(['ps']));
    expect(ps).toMatch(/agc_web_1/);
    expect(ps).toMatch(/agc_web_2/);
    expect(ps).toMatch(/agc_db_1/);
    // Everything landed where the default network is: they can reach each other.
    const [netNode] = await networksOn('agc_default');
    for (const n of ['agc_web_1', 'agc_web_2', 'agc_db_1']) expect(await containersOn(n)).toEqual([netNode]);
    expect(await volumesOn('agc_data')).toEqual([netNode]);
    await ok(compose(['down', '-v']));
    const left = await onEach(['ps', '-aq']);
    const vols = await onEach(['volume', 'ls', '-q']);
    for (const d of ds) {
      expect(left[d.name]).toEqual([]);
      expect(vols[d.name]).toEqual([]);
    }
    expect(await networksOn('agc_default')).toEqual([]);
  }, 150_000);

  it('events: a bounded history returns; network and volume events of every node name their node', async () => {
    const since = String(Math.floor(Date.now() / 1000) - 1);
    for (const d of ds) await ok(direct(d, ['volume', 'create', `ev-${d.name}`]));
    await new Promise((r) => setTimeout(r, 1100));
    const until = String(Math.floor(Date.now() / 1000));
    const r = await swarm(
      [
        'events',
        '--since',
        since,
        '--until',
        until,
        '--filter',
        'type=volume',
        '--format',
        '{{.Actor.ID}} {{index .Actor.Attributes "node.name"}}',
      ],
      10_000,
    );
    expect(r.code, r.stderr).toBe(0);
    for (const d of ds) expect(lines(r.stdout)).toContain(`ev-${d.name} ${d.name}`);
    // Made one after the other on node1, node2, node3: a bounded history comes back in time order.
    expect(lines(r.stdout).filter((l) => l.startsWith('ev-'))).toEqual(
      ds.map((d) => `ev-${d.name} ${d.name}`),
    );
    // One hour back, through every node: it ends.
    const hour = await swarm(['events', '--since', '1h', '--until', '1s'], 10_000);
    expect(hour.code, hour.stderr).toBe(0);
    for (const d of ds) await ok(direct(d, ['volume', 'rm', `ev-${d.name}`]));
  }, 60_000);

  it('a node holding a volume hangs: calls for the volume fail fast naming it, the others go on', async () => {
    await ok(swarm(['volume', 'create', '--label', 'constraint:node==node2', 'hangvol']));
    const node2 = ds[1] as Daemon;
    node2.kill('SIGSTOP');
    try {
      const t0 = performance.now();
      const inspect = await swarm(['volume', 'inspect', 'hangvol']);
      expect(inspect.code).not.toBe(0);
      expect(inspect.stderr).toMatch(/node2/);
      // Generous: the read deadline is 1 s; a hung call would wait for the CLI's own timeout.
      expect(performance.now() - t0).toBeLessThan(10_000);
      const ls = await ok(swarm(['volume', 'ls', '--format', '{{.Name}} {{.Labels}}']));
      expect(ls).toMatch(/hangvol/);
      await ok(swarm(['run', '--rm', '--network', 'none', '-v', 'othervol:/o', IMAGE, 'true']));
      // Made on a node that answers (node2 cannot be asked while stopped).
      const others = [ds[0], ds[2]] as Daemon[];
      const held = await Promise.all(
        others.map(async (d) => lines((await direct(d, ['volume', 'ls', '-q'])).stdout)),
      );
      expect(held.filter((names) => names.includes('othervol'))).toHaveLength(1);
    } finally {
      node2.kill('SIGCONT');
    }
    await within(15_000, 'node2 healthy', async () => (await nodeStatuses(bed.host)).node2 === 'Healthy');
    await ok(swarm(['volume', 'rm', 'hangvol', 'othervol']));
  }, 90_000);

  it('a container, network and volume made on a daemon directly are known within 1 s of its event', async () => {
    const node2 = ds[1] as Daemon;
    const message = (r: { body: unknown }) => String((r.body as { message?: string })?.message ?? r.body);
    // Probes that read only the aggregate's directories, never a node (a listing would ask the daemon
    // itself and learn the change that way, not from the event stream). Each places on no node
    // (constraint node==nowhere), so it changes nothing whatever the answer.
    const nowhere = ['constraint:node==nowhere'];
    const probes: Record<string, (name: string) => Promise<boolean>> = {
      // The name is reserved cluster-wide: 409 naming node2.
      container: async (name) =>
        /in use .* on node node2/.test(
          message(
            await api(bed.host, 'POST', `/containers/create?name=${name}`, { Image: IMAGE, Env: nowhere }),
          ),
        ),
      // A local network name is refused anywhere once known: 409 naming node2.
      network: async (name) =>
        /already exists on node node2/.test(
          message(
            await api(bed.host, 'POST', '/networks/create', {
              Name: name,
              Labels: { 'com.docker.swarm.constraints': '["node==nowhere"]' },
            }),
          ),
        ),
      // A container mounting it must go where it is: the placement failure names the dependency.
      volume: async (name) =>
        new RegExp(`volume ${name} on node node2`).test(
          message(
            await api(bed.host, 'POST', '/containers/create', {
              Image: IMAGE,
              Env: nowhere,
              HostConfig: { Binds: [`${name}:/v`], NetworkMode: 'none' },
            }),
          ),
        ),
    };
    /** Polls a probe every 20 ms until it holds; resolves the wall time its answer came back. */
    const knownAt = async (probe: (name: string) => Promise<boolean>, name: string) => {
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (await probe(name)) return Date.now();
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`${name} not known through the aggregate after 10 s`);
    };
    /** The event time (wall ms) node2 itself gives the change, asked directly afterwards. */
    const eventAt = async (since: number, type: string, name: string) => {
      const r = await ok(
        direct(node2, [
          'events',
          '--since',
          String(since / 1000),
          '--until',
          String(Date.now() / 1000),
          '--filter',
          `type=${type}`,
          '--filter',
          'event=create',
          '--format',
          '{{json .}}',
        ]),
      );
      const ev = lines(r)
        .map(
          (l) => JSON.parse(l) as { timeNano: number; Actor: { ID: string; Attributes: { name?: string } } },
        )
        .find((e) => e.Actor.Attributes.name === name || e.Actor.ID === name);
      if (!ev) throw new Error(`no create event for ${type} ${name} on node2`);
      return ev.timeNano / 1e6;
    };
    // A measurement disturbed by the shared 2-core machine is taken again (up to 3 rounds); the bound is
    // asserted once, on the last round, and never loosened.
    const rounds: Record<string, number>[] = [];
    for (let round = 1; round <= 3; round++) {
      const names = { container: `fc${round}`, network: `fn${round}`, volume: `fv${round}` };
      const since = Date.now() - 1_000;
      const known = Object.entries(names).map(([kind, name]) => knownAt(probes[kind] as never, name));
      await ok(direct(node2, ['create', '--name', names.container, '--network', 'none', IMAGE, 'true']));
      await ok(direct(node2, ['network', 'create', names.network]));
      await ok(direct(node2, ['volume', 'create', names.volume]));
      const at = await Promise.all(known);
      const lag: Record<string, number> = {};
      for (const [i, [kind, name]] of Object.entries(names).entries())
        lag[kind] = Math.round((at[i] as number) - (await eventAt(since, kind, name)));
      rounds.push(lag);
      await ok(direct(node2, ['rm', names.container]));
      await ok(direct(node2, ['network', 'rm', names.network]));
      await ok(direct(node2, ['volume', 'rm', names.volume]));
      if (Math.max(...Object.values(lag)) <= 1_000) break;
    }
    console.log(`[objects] known through the aggregate after its event, ms: ${JSON.stringify(rounds)}`);
    const last = rounds.at(-1) as Record<string, number>;
    for (const [kind, ms] of Object.entries(last)) expect(ms, kind).toBeLessThanOrEqual(1_000);
  }, 120_000);

  it('changes made on a daemon directly are known: names freed, objects found, then the daemon dies', async () => {
    // Live traffic through the aggregate while a daemon is changed behind its back.
    let stop = false;
    const traffic = (async () => {
      while (!stop) await swarm(['ps', '-a', '-q']);
    })();
    await ok(
      swarm([
        'run',
        '-d',
        '--name',
        'k1',
        '--network',
        'none',
        '-e',
        'constraint:node==node3',
        IMAGE,
        'sleep',
        '300',
      ]),
    );
    await ok(
      swarm([
        'run',
        '-d',
        '--name',
        'k2',
        '--network',
        'none',
        '-e',
        'constraint:node==node3',
        IMAGE,
        'sleep',
        '300',
      ]),
    );
    const node3 = ds[2] as Daemon;
    await ok(direct(node3, ['rm', '-f', 'k1', 'k2']));
    await ok(direct(node3, ['run', '-d', '--name', 'k3', '--network', 'none', IMAGE, 'sleep', '300']));
    await ok(direct(node3, ['network', 'create', 'direct-net']));
    await ok(direct(node3, ['volume', 'create', 'direct-vol']));
    // Generous bound (the followers see each event within milliseconds here).
    const knownS = await within(5_000, 'direct changes known', async () => {
      const nets = lines((await swarm(['network', 'ls', '--format', '{{.Name}}'])).stdout);
      const k3 = await swarm(['run', '-d', '--name', 'k3', '--network', 'none', IMAGE, 'true']);
      return nets.includes('direct-net') && /already in use.*node3/.test(k3.stderr);
    });
    // Under live listing traffic, measured including the CLI calls that check it; the 1 s bound from the
    // daemon's own event time is asserted by the test before this one.
    console.log(`[objects] direct changes on node3 known through the aggregate after ${knownS} s`);
    stop = true;
    await traffic;
    node3.kill('SIGKILL');
    await within(15_000, 'node3 down', async () => (await nodeStatuses(bed.host)).node3 === 'Unhealthy');
    // k1/k2 are gone (removed directly): their names are free. k3 stays reserved, shown Host Down.
    await ok(swarm(['run', '-d', '--name', 'k1', '--network', 'none', IMAGE, 'sleep', '300']));
    await ok(swarm(['run', '-d', '--name', 'k2', '--network', 'none', IMAGE, 'sleep', '300']));
    const k3 = await swarm(['run', '-d', '--name', 'k3', '--network', 'none', IMAGE, 'true']);
    expect(k3.stderr).toMatch(/already in use.*node node3/);
    const ps = await ok(swarm(['ps', '-a', '--format', '{{.Names}} {{.Status}}']));
    expect(ps).toMatch(/k3 Host Down/);
    const nets = await ok(swarm(['network', 'ls', '--format', '{{.Name}} {{.Labels}}']));
    expect(nets).toMatch(/direct-net .*Host Down/);
    // A volume name held by the down node is not made again elsewhere.
    const dv = await swarm(['run', '--rm', '--network', 'none', '-v', 'direct-vol:/v', IMAGE, 'true']);
    expect(dv.code).not.toBe(0);
    expect(dv.stderr).toMatch(/node3/);
    // It comes back and is reconciled.
    await node3.restart();
    await within(15_000, 'node3 healthy', async () => (await nodeStatuses(bed.host)).node3 === 'Healthy');
    await ok(swarm(['rm', '-f', 'k1', 'k2', 'k3']));
    await ok(swarm(['network', 'rm', 'direct-net']));
    await ok(swarm(['volume', 'rm', 'direct-vol']));
    expect(await containersOn('k3')).toEqual([]);
  }, 120_000);

  it('swarm-mode calls: as dockerd outside a swarm, then to the manager once there is one', async () => {
    const outside = await swarm(['node', 'ls']);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/not a swarm manager/);
    await ok(swarm(['swarm', 'init', '--advertise-addr', '127.0.0.1'], 60_000));
    await within(10_000, 'node ls via the manager', async () => (await swarm(['node', 'ls'])).code === 0);
    await ok(swarm(['swarm', 'leave', '--force'], 60_000));
  }, 120_000);
});
