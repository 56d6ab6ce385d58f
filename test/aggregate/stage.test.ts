import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorArgs, Message, Verb } from '../../src/actors/message.js';
import { replyPromise } from '../../src/actors/reply.js';
import { parseAggregateArgs } from '../../src/backends/aggregate/args.js';
import { type ControlArgs, createAggregate } from '../../src/backends/aggregate.js';
import type { DockerArgs, DockerResult } from '../../src/backends/docker/api.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { SimulatedClock } from '../../src/clock.js';
import { SimChildren } from './sim-children.js';

const settle = () => new Promise<void>((r) => setImmediate(r));

/** An aggregate over `n` simulator children `node<i>`, each seeded with `seed` running containers. */
async function cluster(n: number, extra: string[] = [], seed = 2) {
  const clock = new SimulatedClock();
  const children = new SimChildren(clock);
  const commands = Array.from({ length: n }, (_, i) => `simulator node${i + 1} --seed ${seed}`);
  const agg = createAggregate(parseAggregateArgs([...commands, ...extra]), {
    name: 'agg',
    downstream: undefined,
    log: pino({ level: 'silent' }),
    clock,
    spawnStage: children.spawn,
  });
  await agg.start?.();
  await settle();
  const eng = (name: string) => children.get(name);
  /** The engine's containers, by name. */
  const names = (name: string) => [...eng(name).instance.engine.containers.newestFirst()].map((c) => c.name);
  return { clock, children, agg, eng, names };
}

async function call(
  agg: StageInstance,
  op: DockerArgs['op'],
  extra: Partial<DockerArgs> = {},
  verb: Verb = 'get',
) {
  const { sender, first } = replyPromise();
  void agg.handle({ verb, args: { op, query: {}, ...extra }, ret: sender });
  return first;
}
async function control(agg: StageInstance, args: ControlArgs) {
  const { sender, first } = replyPromise();
  void agg.handle({ verb: 'control', args, ret: sender });
  return first;
}
const set = (m: Message) => m.args as DockerResult;
const err = (m: Message) => m.args as ErrorArgs;

let running: StageInstance | undefined;
afterEach(async () => {
  await running?.stop?.();
  running = undefined;
});

const engineOf = (c: { instance: { engine: unknown } }) =>
  c.instance.engine as import('../../src/backends/simulator/engine.js').Engine;

describe('aggregate stage (simulator children)', () => {
  it('merges ps across nodes and answers info with every node', async () => {
    const { agg } = await cluster(3);
    running = agg;
    const ps = set(await call(agg, 'container.list', {}, 'ls'));
    expect(ps.status).toBe(200);
    expect((ps.body as { Names: string[] }[]).map((r) => r.Names[0]).sort()).toEqual([
      '/node1-c0',
      '/node1-c1',
      '/node2-c0',
      '/node2-c1',
      '/node3-c0',
      '/node3-c1',
    ]);
    const info = set(await call(agg, 'info')).body as Record<string, unknown>;
    expect(info.NCPU).toBe(12); // 3 simulated engines × 4
    expect(info.Containers).toBe(6);
    expect(info.SystemStatus).toContainEqual([' node3', 'simulator node3 --seed 2']);
    expect(info.SystemStatus).toContainEqual(['  └ Status', 'Healthy']);
  });

  it('routes per-container calls to the owner by name and id prefix, and rm updates routing', async () => {
    const { agg, eng } = await cluster(3);
    running = agg;
    const target = engineOf(eng('node2')).containers.get('node2-c0');
    expect(set(await call(agg, 'container.inspect', { id: 'node2-c0' })).body).toMatchObject({
      Id: target.id,
      Name: '/node2-c0',
    });
    expect(
      set(await call(agg, 'container.stop', { id: target.id.slice(0, 14), query: { t: '0' } }, 'stop'))
        .status,
    ).toBe(204);
    expect(eng('node2').calls.at(-1)).toMatchObject({ op: 'container.stop', id: target.id });
    expect(target.status).toBe('exited');
    expect(set(await call(agg, 'container.remove', { id: 'node2-c0' }, 'remove')).status).toBe(204);
    expect(engineOf(eng('node2')).containers.find('node2-c0')).toBeUndefined();
    expect(err(await call(agg, 'container.inspect', { id: 'node2-c0' }))).toMatchObject({ status: 404 });
    expect(err(await call(agg, 'container.inspect', { id: 'nosuch' })).message).toBe(
      'No such container: nosuch',
    );
  });

  it('remembers exec ids and routes /exec/{id} to the node that made them', async () => {
    const { agg, eng } = await cluster(3);
    running = agg;
    const exec = set(await call(agg, 'container.exec', { id: 'node3-c1', body: { Cmd: ['true'] } }, 'exec'))
      .body as { Id: string };
    const before = ['node1', 'node2', 'node3'].map((n) => eng(n).calls.length);
    expect(set(await call(agg, 'exec.inspect', { id: exec.Id })).body).toMatchObject({ Node: 'node3' });
    // Routed from the remembered id: only node3 was asked, no fan-out.
    expect(['node1', 'node2', 'node3'].map((n, i) => eng(n).calls.length - (before[i] as number))).toEqual([
      0, 0, 1,
    ]);
  });

  it('8 parallel creates of one name: exactly one succeeds, the rest get 409', async () => {
    const { agg, names } = await cluster(3);
    running = agg;
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(agg, 'container.create', { query: { name: 'dup' }, body: { Image: 'busybox:local' } }, 'spawn'),
      ),
    );
    expect(replies.filter((r) => r.verb === 'set' && set(r).status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.verb === 'error' && err(r).status === 409)).toHaveLength(7);
    const all = ['node1', 'node2', 'node3'].flatMap(names).filter((n) => n === 'dup');
    expect(all).toHaveLength(1);
  });

  it('spreads creates, honours constraints, strips the rules from Env, and 404s an image no node has', async () => {
    const { agg, eng, names } = await cluster(3, [], 0);
    running = agg;
    for (let i = 0; i < 6; i++) {
      await call(agg, 'container.create', { body: { Image: 'busybox:local' } }, 'spawn');
    }
    expect(['node1', 'node2', 'node3'].map((n) => names(n).length)).toEqual([2, 2, 2]);
    const r = await call(
      agg,
      'container.create',
      { body: { Image: 'busybox:local', Env: ['A=1', 'constraint:node==node2'] } },
      'spawn',
    );
    expect(set(r).status).toBe(201);
    const made = engineOf(eng('node2')).containers.get((set(r).body as { Id: string }).Id);
    expect(made.config.Env).toContain('A=1');
    expect(made.config.Env.some((e) => e.startsWith('constraint:'))).toBe(false);
    expect(
      err(
        await call(
          agg,
          'container.create',
          { body: { Image: 'busybox:local', Env: ['constraint:node==nodeX'] } },
          'spawn',
        ),
      ).message,
    ).toMatch(/node1: constraint:node==nodeX.*node3: constraint:node==nodeX/);
    const node3 = engineOf(eng('node3'));
    node3.images.pull('only3:v1', node3.wall.now());
    const only3 = await call(agg, 'container.create', { body: { Image: 'only3:v1' } }, 'spawn');
    expect(set(only3).status).toBe(201);
    expect(node3.containers.get((set(only3).body as { Id: string }).Id).config.Image).toBe('only3:v1');
    expect(
      err(await call(agg, 'container.create', { body: { Image: 'nowhere:v1' } }, 'spawn')),
    ).toMatchObject({ status: 404, message: expect.stringMatching(/No such image: nowhere:v1/) });
  });

  it('a hung node: ps answers at the deadline with the others plus a warning; it goes down; its containers fail fast; creates avoid it', async () => {
    const { agg, eng, clock, names } = await cluster(3);
    running = agg;
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls'); // learn every node's rows
    eng('node2').hung = true;
    const pending = call(agg, 'container.list', { query: { all: '1' } }, 'ls');
    await settle();
    clock.advance(1000);
    const ps = set(await pending);
    const rows = ps.body as { Names: string[]; Status: string }[];
    expect(rows).toHaveLength(6);
    expect(
      rows
        .filter((r) => r.Status === 'Host Down')
        .map((r) => r.Names[0])
        .sort(),
    ).toEqual(['/node2-c0', '/node2-c1']);
    expect(rows.filter((r) => r.Status.startsWith('Up'))).toHaveLength(4);
    expect(ps.headers?.['X-Swarm-Warning']).toMatch(
      /node2: node node2 did not answer container.list within 1000 ms/,
    );
    // Probes keep failing: down within a few simulated seconds.
    for (let t = 0; t < 4000; t += 100) {
      clock.advance(100);
      await settle();
    }
    const info = set(await call(agg, 'info', {})); // node2 is down now, so info does not wait for it
    expect(info.body).toMatchObject({ Warnings: [expect.stringMatching(/node node2 is (down|backoff)/)] });
    const fast = err(await call(agg, 'container.start', { id: 'node2-c0' }, 'start'));
    expect(fast).toMatchObject({ status: 503 });
    expect(fast.message).toMatch(/node2-c0 is on node node2, which is (down|backoff)/);
    const created = await call(agg, 'container.create', { body: { Image: 'busybox:local' } }, 'spawn');
    expect(set(created).status).toBe(201);
    expect(names('node2')).toHaveLength(2);
    // CONT: the next probe succeeds and the node is healthy again.
    eng('node2').hung = false;
    for (let t = 0; t < 2500; t += 100) {
      clock.advance(100);
      await settle();
    }
    const status = (set(await call(agg, 'info')).body as { SystemStatus: [string, string][] }).SystemStatus;
    const i = status.findIndex(([k]) => k === ' node2');
    expect(status[i + 1]).toEqual(['  └ Status', 'Healthy']);
  });

  it('re-indexes a node only when its listing changed: containers made or renamed behind its back are found', async () => {
    const { agg, eng } = await cluster(2);
    running = agg;
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls');
    const engine = engineOf(eng('node2'));
    const { Id } = engine.create({ name: 'behind' }, { Image: 'busybox:local', Cmd: ['true'] });
    // Unknown name: the owner lookup lists again, sees a changed listing and indexes it.
    expect(set(await call(agg, 'container.inspect', { id: 'behind' })).body).toMatchObject({ Id });
    // Same ids, one name changed: still a change.
    engine.rename('behind', 'renamed');
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls');
    expect(set(await call(agg, 'container.inspect', { id: 'renamed' })).body).toMatchObject({ Id });
    expect(err(await call(agg, 'container.inspect', { id: 'behind' }))).toMatchObject({ status: 404 });
    // Removed through the aggregate, listing unchanged since: the directory change alone forces a rebuild.
    expect(set(await call(agg, 'container.remove', { id: 'renamed' }, 'remove')).status).toBe(204);
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls');
    expect(err(await call(agg, 'container.inspect', { id: 'renamed' }))).toMatchObject({ status: 404 });
  });

  it('container calls wait for the op deadline (plus a stop -t), not the list deadline', async () => {
    const { agg, eng, clock } = await cluster(2, ['--op-deadline', '4000']);
    running = agg;
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls'); // learn the owners
    // Stuck on this stop but answering probes: healthy throughout, so only the deadline ends the call.
    eng('node2').hangOps.add('container.stop');
    let answered = false;
    const stop = call(agg, 'container.stop', { id: 'node2-c0', query: { t: '2' } }, 'stop').finally(() => {
      answered = true;
    });
    for (let t = 0; t < 5900; t += 100) {
      clock.advance(100);
      await settle();
    }
    expect(answered).toBe(false); // well past the 1,500 ms list deadline
    clock.advance(200);
    expect(err(await stop)).toMatchObject({
      status: 504,
      message: 'node node2 did not answer container.stop within 6000 ms',
    });
  });

  it('a call in flight when its node is declared down fails then with a 503 naming the node, not at the op deadline', async () => {
    const { agg, eng, clock } = await cluster(2);
    running = agg;
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls'); // learn the owners
    eng('node2').hung = true;
    let answeredAt: number | undefined;
    const stop = call(agg, 'container.stop', { id: 'node2-c0', query: { t: '0' } }, 'stop').finally(() => {
      answeredAt = clock.now();
    });
    // Default health: probe at 0.5 s misses its 1 s deadline (degraded at 1.5 s), the next at 1.6 s misses
    // too (down at 2.6 s).
    for (let t = 0; t < 10_000 && answeredAt === undefined; t += 100) {
      clock.advance(100);
      await settle();
    }
    const e = err(await stop);
    expect(e).toMatchObject({ status: 503, code: 'SWARM_ERR_NODE_DOWN' });
    expect(e.message).toMatch(
      /^node node2 is down \(last error: node node2 did not answer info within 1000 ms\)$/,
    );
    // Down at 2.6 s of simulated time; the 30 s op deadline would have been 30 s.
    expect(answeredAt).toBeGreaterThanOrEqual(2500);
    expect(answeredAt).toBeLessThanOrEqual(2700);
    // The healthy node's calls are untouched.
    expect(set(await call(agg, 'container.inspect', { id: 'node1-c0' })).status).toBe(200);
  });

  it('a rename cut short by its node going down releases the name it reserved', async () => {
    const { agg, eng, clock } = await cluster(2);
    running = agg;
    await call(agg, 'container.list', { query: { all: '1' } }, 'ls');
    eng('node2').hung = true;
    let done = false;
    const rename = call(
      agg,
      'container.rename',
      { id: 'node2-c0', query: { name: 'moved' } },
      'rename',
    ).finally(() => {
      done = true;
    });
    for (let t = 0; t < 10_000 && !done; t += 100) {
      clock.advance(100);
      await settle();
    }
    expect(err(await rename)).toMatchObject({ status: 503, code: 'SWARM_ERR_NODE_DOWN' });
    const made = await call(
      agg,
      'container.create',
      { query: { name: 'moved' }, body: { Image: 'busybox:local' } },
      'spawn',
    );
    expect(set(made).status).toBe(201);
  });

  it('control adds and removes children at run time', async () => {
    const { agg } = await cluster(2);
    running = agg;
    const added = await control(agg, { action: 'add', command: 'simulator node9 --seed 1', name: 'n9' });
    expect((set(added).body as { name: string }[]).map((n) => n.name)).toEqual(['node1', 'node2', 'n9']);
    await settle();
    expect((set(await call(agg, 'container.list', {}, 'ls')).body as unknown[]).length).toBe(5);
    await control(agg, { action: 'remove', name: 'node1' });
    expect((set(await call(agg, 'container.list', {}, 'ls')).body as unknown[]).length).toBe(3);
  });
});
