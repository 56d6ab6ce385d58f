/**
 * Networks, volumes, images and events across simulator children (the simulator models them): the
 * aggregate's own logic on a simulated clock, without daemons. The same behaviour over real dockerd is
 * in objects.test.ts.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorArgs, Message, Verb } from '../../src/actors/message.js';
import { replyPromise } from '../../src/actors/reply.js';
import { parseAggregateArgs } from '../../src/backends/aggregate/args.js';
import { createAggregate } from '../../src/backends/aggregate.js';
import type { DockerArgs, DockerResult } from '../../src/backends/docker/api.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { SimulatedClock } from '../../src/clock.js';
import { type SimChild, SimChildren } from './sim-children.js';

const settle = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

let running: StageInstance | undefined;
afterEach(async () => {
  await running?.stop?.();
  running = undefined;
});

async function cluster(n: number) {
  const clock = new SimulatedClock();
  const children = new SimChildren(clock);
  const commands = Array.from({ length: n }, (_, i) => `simulator node${i + 1}`);
  const agg = createAggregate(parseAggregateArgs(commands), {
    name: 'agg',
    downstream: undefined,
    log: pino({ level: 'silent' }),
    clock,
    spawnStage: children.spawn,
  });
  running = agg;
  await agg.start?.();
  await settle(20);
  return { clock, children, agg };
}

function call(agg: StageInstance, verb: Verb, op: DockerArgs['op'], extra: Partial<DockerArgs> = {}) {
  const { sender, first } = replyPromise();
  void agg.handle({ verb, args: { op, query: {}, ...extra }, ret: sender });
  return first;
}
/** A call straight to one child's engine (behind the aggregate's back). */
function direct(child: SimChild, verb: Verb, op: DockerArgs['op'], extra: Partial<DockerArgs> = {}) {
  const { sender, first } = replyPromise();
  void child.instance.handle({ verb, args: { op, query: {}, ...extra }, ret: sender });
  return first;
}
const set = (m: Message) => m.args as DockerResult;
const err = (m: Message) => m.args as ErrorArgs;
const netNames = (c: SimChild) => c.instance.engine.networks.all.map((n) => n.name);
const volNames = (c: SimChild) =>
  c.instance.engine.volumes.all().map((v) => (v as unknown as { name: string }).name);

describe('aggregate objects (simulator children)', () => {
  it('network create is placed by constraint, listed once with built-ins, inspected and removed on its node', async () => {
    const { agg, children } = await cluster(3);
    const made = set(
      await call(agg, 'spawn', 'network.create', {
        body: { Name: 'front', Labels: { 'com.docker.swarm.constraints': '["node==node2"]', team: 'a' } },
      }),
    );
    expect(made.status).toBe(201);
    expect(netNames(children.get('node2'))).toContain('front');
    expect(netNames(children.get('node1'))).not.toContain('front');
    const dup = await call(agg, 'spawn', 'network.create', { body: { Name: 'front' } });
    expect(err(dup).status).toBe(409);
    const ls = set(await call(agg, 'ls', 'network.list')).body as {
      Name: string;
      Labels?: Record<string, string>;
    }[];
    const names = ls.map((r) => r.Name).sort();
    expect(names.filter((n) => n === 'bridge')).toHaveLength(1);
    expect(names).toContain('front');
    expect(ls.find((r) => r.Name === 'front')?.Labels).toEqual({ team: 'a' }); // the rule was not passed on
    expect(set(await call(agg, 'get', 'network.inspect', { id: 'front' })).status).toBe(200);
    expect(set(await call(agg, 'get', 'network.inspect', { id: 'bridge' })).status).toBe(200);
    expect(set(await call(agg, 'remove', 'network.remove', { id: 'front' })).status).toBe(204);
    expect(netNames(children.get('node2'))).not.toContain('front');
  });

  it('a named volume made implicitly by a create is pinned: the next creates mounting it follow', async () => {
    const { agg, children } = await cluster(3);
    const body = { Image: 'busybox:local', Cmd: ['true'], HostConfig: { Binds: ['data:/d'] } };
    const homes = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await call(agg, 'spawn', 'container.create', { body, query: { name: `c${i}` } });
      expect(set(r).status, JSON.stringify(r.args)).toBe(201);
      for (const name of ['node1', 'node2', 'node3'])
        if (children.get(name).instance.engine.containers.find(`c${i}`)) homes.add(name);
    }
    expect(homes.size).toBe(1);
    const withVolume = ['node1', 'node2', 'node3'].filter((n) => volNames(children.get(n)).includes('data'));
    expect(withVolume).toEqual([...homes]);
  });

  it('dependencies on different nodes fail naming each one', async () => {
    const { agg } = await cluster(3);
    await call(agg, 'spawn', 'volume.create', {
      body: { Name: 'va', DriverOpts: { 'constraint:node': '=node1' } },
    });
    await call(agg, 'spawn', 'network.create', {
      body: { Name: 'nb', Labels: { 'constraint:node': '=node3' } },
    });
    const r = await call(agg, 'spawn', 'container.create', {
      body: { Image: 'busybox:local', HostConfig: { NetworkMode: 'nb', Binds: ['va:/a'] } },
    });
    expect(r.verb).toBe('error');
    expect(err(r).message).toMatch(/volume va on node node1/);
    expect(err(r).message).toMatch(/network nb on node node3/);
  });

  it('a name repeated on nodes (made behind our back) is listed as node/name and routed by it', async () => {
    const { agg, children } = await cluster(2);
    await direct(children.get('node1'), 'spawn', 'volume.create', { body: { Name: 'twin' } });
    await direct(children.get('node2'), 'spawn', 'volume.create', { body: { Name: 'twin' } });
    await settle(20);
    const ls = set(await call(agg, 'ls', 'volume.list')).body as { Volumes: { Name: string }[] };
    expect(ls.Volumes.map((v) => v.Name).sort()).toEqual(['node1/twin', 'node2/twin']);
    expect(err(await call(agg, 'get', 'volume.inspect', { id: 'twin' })).status).toBe(400);
    const one = set(await call(agg, 'get', 'volume.inspect', { id: 'node2/twin' }));
    expect(one.status).toBe(200);
    expect(set(await call(agg, 'remove', 'volume.remove', { id: 'node2/twin' })).status).toBe(204);
    expect(volNames(children.get('node2'))).not.toContain('twin');
    expect(volNames(children.get('node1'))).toContain('twin');
  });

  it('a hung node: network ls answers at the deadline with its last rows marked Host Down', async () => {
    const { agg, children, clock } = await cluster(3);
    await call(agg, 'spawn', 'network.create', {
      body: { Name: 'onthree', Labels: { 'constraint:node': '=node3' } },
    });
    await settle(20);
    children.get('node3').hung = true;
    const pending = call(agg, 'ls', 'network.list');
    await settle();
    clock.advance(1000);
    const r = set(await pending);
    expect(r.headers?.['X-Swarm-Warning']).toMatch(/node3/);
    const row = (r.body as { Name: string; Labels?: Record<string, string> }[]).find(
      (x) => x.Name === 'onthree',
    );
    expect(row?.Labels?.['com.docker.swarm.node.state']).toBe('Host Down');
  });

  it('a pull goes to every node, progress labelled by node', async () => {
    const { agg, children } = await cluster(3);
    const r = await call(agg, 'spawn', 'image.create', { query: { fromImage: 'alpine', tag: '3.19' } });
    expect(r.verb).toBe('ack');
    const chunks: Buffer[] = [];
    for await (const c of r.stream as AsyncIterable<Buffer>) chunks.push(c);
    const ids = new Set(
      Buffer.concat(chunks)
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => String((JSON.parse(l) as { id?: string }).id ?? '').split('/')[0]),
    );
    expect([...ids].sort()).toEqual(['node1', 'node2', 'node3']);
    for (const n of ['node1', 'node2', 'node3']) {
      const i = await direct(children.get(n), 'get', 'image.inspect', { id: 'alpine:3.19' });
      expect(set(i).status).toBe(200);
    }
  });

  it("a hung node's images: listed at the deadline as node/repo:tag, Host Down; a run of one fails naming it", async () => {
    const { agg, children, clock } = await cluster(3);
    for (const [n, image] of [
      ['node3', 'onlythree'],
      ['node3', 'onboth'],
      ['node1', 'onboth'],
    ] as const) {
      const pulled = await direct(children.get(n), 'spawn', 'image.create', {
        query: { fromImage: image, tag: '1' },
      });
      pulled.stream?.resume();
      await new Promise((r) => pulled.stream?.on('end', r));
    }
    expect(set(await call(agg, 'ls', 'image.list')).status).toBe(200); // the aggregate sees node3's images
    children.get('node3').hung = true;
    const pending = call(agg, 'ls', 'image.list');
    await settle();
    clock.advance(1000);
    const r = set(await pending);
    expect(r.headers?.['X-Swarm-Warning']).toMatch(/node3/);
    const rows = r.body as { RepoTags?: string[]; Labels?: Record<string, string> }[];
    const row = rows.find((x) => x.RepoTags?.includes('node3/onlythree:1'));
    expect(row?.Labels).toMatchObject({
      'com.docker.swarm.node.state': 'Host Down',
      'com.docker.swarm.node': 'node3',
    });
    expect(rows.some((x) => x.RepoTags?.includes('onlythree:1'))).toBe(false);
    // node3 missed a deadline: no longer healthy. A create of its image names it (503), not 404.
    const create = call(agg, 'spawn', 'container.create', { body: { Image: 'onlythree:1' } });
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(1000);
    }
    const failed = await create;
    expect(failed.verb).toBe('error');
    expect(err(failed).status).toBe(503);
    expect(err(failed).message).toMatch(/onlythree:1 is only on node node3/);
    // An rmi of an image node3 holds too acts on node1 and says node3 kept its copy.
    const rmi = call(agg, 'remove', 'image.remove', { id: 'onboth:1' });
    for (let i = 0; i < 5; i++) {
      await settle();
      clock.advance(1000);
    }
    const removed = set(await rmi);
    expect(removed.status).toBe(200);
    expect(removed.headers?.['X-Swarm-Warning']).toMatch(
      /onboth:1 is also on node node3 \((degraded|down|backoff)\)/,
    );
    expect(set(await direct(children.get('node1'), 'get', 'image.inspect', { id: 'onboth:1' })).status).toBe(
      404,
    );
  });

  it('a BuildKit session is placed; the build and /grpc that name it follow it to its node', async () => {
    const { agg, children } = await cluster(3);
    const sessionsOn = () =>
      ['node1', 'node2', 'node3'].filter((n) =>
        children.get(n).calls.some((a) => (a as DockerArgs).op === 'session'),
      );
    const headers = { 'x-docker-expose-session-uuid': 'sess-1' };
    await call(agg, 'attach', 'session', { headers });
    const [home] = sessionsOn();
    expect(sessionsOn()).toHaveLength(1);
    // Builds naming it (with a build-arg constraint pointing elsewhere, which the session overrides:
    // its files are served from the session's node only) and BuildKit's /grpc all go there.
    const elsewhere = ['node1', 'node2', 'node3'].find((n) => n !== home) as string;
    for (let i = 0; i < 3; i++) {
      await call(agg, 'spawn', 'image.build', {
        query: { session: 'sess-1', buildargs: JSON.stringify({ 'constraint:node': `=${elsewhere}` }) },
      });
    }
    await call(agg, 'attach', 'session.grpc');
    const on = (op: string) =>
      ['node1', 'node2', 'node3'].flatMap((n) =>
        children
          .get(n)
          .calls.filter((a) => (a as DockerArgs).op === op)
          .map(() => n),
      );
    expect(on('image.build')).toEqual([home, home, home]);
    expect(on('session.grpc')).toEqual([home]);
    // A build naming no session is placed by its constraint.
    await call(agg, 'spawn', 'image.build', {
      query: { buildargs: JSON.stringify({ 'constraint:node': `=${elsewhere}` }) },
    });
    expect(on('image.build')).toEqual([home, home, home, elsewhere].sort());
  });

  it('a node that hangs mid-pull: its part ends when it turns unhealthy, naming it; the pull ends', async () => {
    const { agg, children, clock } = await cluster(3);
    children.get('node3').stallOps.add('image.create');
    const r = await call(agg, 'spawn', 'image.create', { query: { fromImage: 'alpine', tag: '3.19' } });
    expect(r.verb).toBe('ack');
    const chunks: Buffer[] = [];
    let ended = false;
    r.stream?.on('data', (c: Buffer) => chunks.push(c));
    r.stream?.on('end', () => {
      ended = true;
    });
    // node1 and node2 are done; node3's part is open and silent.
    await settle(20);
    clock.advance(2000);
    await settle(20);
    expect(ended).toBe(false);
    children.get('node3').hung = true; // its probes go unanswered now
    for (let i = 0; i < 10 && !ended; i++) {
      clock.advance(500);
      await settle(20);
    }
    expect(ended).toBe(true);
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/"id":"node3\/stalled"/);
    expect(text).toMatch(/"id":"node3","status":"pull stopped: node node3 is degraded"/);
    for (const n of ['node1', 'node2']) {
      const i = await direct(children.get(n), 'get', 'image.inspect', { id: 'alpine:3.19' });
      expect(set(i).status).toBe(200);
    }
  });

  it("plugin ls: when no node models plugins, the answer is the nodes' own (501 naming the simulator)", async () => {
    const { agg } = await cluster(2);
    const r = await call(agg, 'ls', 'plugin.list');
    expect(r.verb).toBe('error');
    expect(err(r).status).toBe(501);
    expect(err(r).message).toMatch(/simulator does not implement plugin.list/);
  });

  it('a prune a node takes 2 s over is waited for (op deadline); a hung node ends it when it is down', async () => {
    const { agg, children, clock } = await cluster(3);
    children.get('node2').delayOps.set('image.prune', 2000);
    const slow = call(agg, 'prune', 'image.prune');
    let answered = false;
    void slow.then(() => {
      answered = true;
    });
    for (let i = 0; i < 4; i++) {
      await settle();
      clock.advance(500);
    }
    await settle(20);
    expect(answered).toBe(true);
    const r = set(await slow);
    expect(r.status).toBe(200);
    expect(r.headers?.['X-Swarm-Warning']).toBeUndefined(); // node2's report is in, not given up at 1 s
    children.get('node3').hung = true;
    const hung = call(agg, 'prune', 'image.prune');
    let ended = false;
    void hung.then(() => {
      ended = true;
    });
    let waited = 0;
    while (!ended && waited < 10_000) {
      await settle();
      clock.advance(250);
      waited += 250;
    }
    expect(ended).toBe(true);
    expect(waited).toBeLessThan(5_000); // cut when node3 is declared down, not at the 30 s op deadline
    expect(set(await hung).headers?.['X-Swarm-Warning']).toMatch(/node3/);
  });

  it('events with until end, also while a node hangs', async () => {
    const { agg, children, clock } = await cluster(3);
    const now = Math.floor(Date.now() / 1000);
    const q = { since: String(now - 3600), until: String(now - 1) };
    const all = await call(agg, 'watch', 'events', { query: q });
    await new Promise<void>((resolve) => {
      all.stream?.on('end', resolve).resume();
    });
    children.get('node2').hung = true;
    const one = await (async () => {
      const p = call(agg, 'watch', 'events', { query: q });
      await settle();
      clock.advance(1000);
      return p;
    })();
    await new Promise<void>((resolve) => {
      one.stream?.on('end', resolve).resume();
      clock.advance(1000);
    });
  });
});
