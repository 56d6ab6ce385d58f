import type { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parseFilters } from '../../src/backends/simulator/filters.js';
import { parseListQuery } from '../../src/backends/simulator/ps-filters.js';
import { parseSimulatorArgs, simulatorStage } from '../../src/backends/simulator.js';
import { harness } from './helpers.js';

type Row = { Id: string; Names: string[]; State: string; Labels: Record<string, string>; SizeRw?: number };
const names = (rows: unknown) => (rows as Row[]).map((r) => r.Names[0]);

async function fleet() {
  const h = harness();
  const a = await h.create(['sleep', 'infinity'], { Labels: { tier: 'web' } }, 'web1');
  await h.call('container.start', { id: a });
  const b = await h.create(['sh', '-c', 'exit 3'], { Labels: { tier: 'db' } }, 'db1');
  await h.call('container.start', { id: b });
  await h.create(['true'], {}, 'idle1');
  await h.settle();
  return h;
}

describe('simulator list, filters, images, system', () => {
  test('ps: running only by default, -a newest first, -n/-l imply all, size', async () => {
    const h = await fleet();
    expect(names((await h.call('container.list')).args.body)).toEqual(['/web1']);
    expect(names((await h.call('container.list', { query: { all: '1' } })).args.body)).toEqual([
      '/idle1',
      '/db1',
      '/web1',
    ]);
    expect(names((await h.call('container.list', { query: { limit: '1' } })).args.body)).toEqual(['/idle1']);
    const sized = (await h.call('container.list', { query: { size: '1' } })).args.body as Row[];
    expect(sized[0]?.SizeRw).toBe(0);
  });

  test('ps rows follow renames and state changes (cached row parts are rebuilt), and are frozen', async () => {
    const h = await fleet();
    type Full = Row & { Ports: unknown[]; NetworkSettings: { Networks: { bridge: { IPAddress: string } } } };
    const row = async (name: string) =>
      ((await h.call('container.list', { query: { all: '1' } })).args.body as Full[]).find(
        (r) => r.Names[0] === name,
      ) as Full;
    const before = await row('/web1');
    expect(before.State).toBe('running');
    expect(before.NetworkSettings.Networks.bridge.IPAddress).not.toBe('');
    expect(() => before.Names.push('/x')).toThrow(TypeError);
    await h.call('container.rename', { id: 'web1', query: { name: 'web2' } });
    await h.call('container.stop', { id: 'web2', query: { t: '0' } });
    await h.settle();
    expect(await row('/web1')).toBeUndefined();
    const after = await row('/web2');
    expect(after.Id).toBe(before.Id);
    expect(after.State).toBe('exited');
    expect(after.NetworkSettings.Networks.bridge.IPAddress).toBe('');
  });

  test('ps filters: status, name regex, label, exited, ancestor, id, before/since', async () => {
    const h = await fleet();
    const list = async (f: object, extra: Record<string, string> = {}) =>
      names((await h.call('container.list', { query: { filters: JSON.stringify(f), ...extra } })).args.body);
    expect(await list({ status: { exited: true } })).toEqual(['/db1']);
    expect(await list({ status: { created: true, running: true } })).toEqual(['/idle1', '/web1']);
    expect(await list({ name: { '^/?(db|web)1$': true } }, { all: '1' })).toEqual(['/db1', '/web1']);
    expect(await list({ label: { tier: true } }, { all: '1' })).toEqual(['/db1', '/web1']);
    expect(await list({ label: { 'tier=db': true } }, { all: '1' })).toEqual(['/db1']);
    expect(await list({ exited: { '3': true } }, { all: '1' })).toEqual(['/db1']);
    expect(await list({ exited: { '0': true } }, { all: '1' })).toEqual([]);
    expect(await list({ ancestor: { busybox: true } }, { all: '1' })).toEqual([]);
    expect(await list({ ancestor: { 'busybox:local': true } }, { all: '1' })).toHaveLength(3);
    const web = h.engine.containers.get('web1').id;
    expect(await list({ id: { [web.slice(0, 10)]: true } })).toEqual(['/web1']);
    expect(await list({ before: { idle1: true } }, { all: '1' })).toEqual(['/db1', '/web1']);
    expect(await list({ since: { web1: true } }, { all: '1' })).toEqual(['/idle1', '/db1']);
    const bad = await h.call('container.list', { query: { filters: '{"colour":{"red":true}}' } });
    expect(bad.args).toMatchObject({ status: 400, message: "Invalid filter 'colour'" });
    const badStatus = await h.call('container.list', { query: { filters: '{"status":{"up":true}}' } });
    expect(badStatus.args.message).toBe("Invalid filter 'status=up'");
    expect((await h.call('container.list', { query: { filters: '{' } })).args.status).toBe(400);
  });

  test('filters parser (property): any map of values round-trips in both JSON forms; junk is a 400, never a crash', () => {
    const key = fc.stringMatching(/^[a-z][a-z-]{0,8}$/);
    const values = fc.uniqueArray(fc.string({ maxLength: 12 }), { maxLength: 4 });
    fc.assert(
      fc.property(fc.dictionary(key, values), (map) => {
        const modern = Object.fromEntries(
          Object.entries(map).map(([k, vs]) => [k, Object.fromEntries(vs.map((v) => [v, true]))]),
        );
        const a = parseFilters(JSON.stringify(modern));
        const b = parseFilters(JSON.stringify(map));
        for (const [k, vs] of Object.entries(map)) {
          expect(new Set(a.get(k))).toEqual(new Set(vs));
          expect(b.get(k)).toEqual(vs);
        }
        expect(a.size).toBe(Object.keys(map).length);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (junk) => {
        try {
          parseListQuery({ filters: junk });
        } catch (err) {
          expect((err as { status?: number }).status).toBe(400);
        }
      }),
    );
  });

  test('events: since replays, filters select, until ends the stream, live events follow', async () => {
    const h = harness();
    const t0 = Date.UTC(2026, 0, 1) / 1000;
    const id = await h.create(['echo', 'x'], { Labels: { app: 'demo' } }, 'ev1');
    await h.call('container.start', { id });
    await h.settle();
    h.clock.advance(1000);
    await h.call('container.rename', { id, query: { name: 'ev2' } });
    await h.call('container.remove', { id });
    const replay = await h.call('events', { query: { since: String(t0), until: String(t0 + 1) } });
    expect(replay.args).toMatchObject({ status: 200, mode: 'chunked' });
    const evs = (await buffer(replay.stream as PassThrough))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evs.map((e) => e.Action)).toEqual(['create', 'start', 'die', 'rename', 'destroy']);
    expect(evs[2]).toMatchObject({
      status: 'die',
      id,
      from: 'busybox:local',
      Type: 'container',
      scope: 'local',
      time: t0,
      Actor: { ID: id, Attributes: { exitCode: '0', image: 'busybox:local', name: 'ev1', app: 'demo' } },
    });
    expect(evs[3].Actor.Attributes).toMatchObject({ name: 'ev2', oldName: '/ev1' });
    const filtered = await h.call('events', {
      query: {
        since: String(t0),
        until: String(t0 + 1),
        filters: JSON.stringify({ event: { start: true, destroy: true } }),
      },
    });
    const actions = (await buffer(filtered.stream as PassThrough)).toString().trim().split('\n');
    expect(actions.map((l) => JSON.parse(l).Action)).toEqual(['start', 'destroy']);
    // live, with an until 2 s ahead: a create arrives, then the stream ends when the clock passes until
    const live = await h.call('events', {
      query: { until: String(t0 + 3), filters: '{"container":{"live1":true}}' },
    });
    const body = buffer(live.stream as PassThrough);
    await h.create(['true'], {}, 'other1');
    await h.create(['true'], {}, 'live1');
    h.clock.advance(2000);
    const got = (await body).toString().trim().split('\n');
    expect(got.map((l) => JSON.parse(l).Actor.Attributes.name)).toEqual(['live1']);
    expect(h.engine.events.subscribers).toBe(0);
    expect(h.clock.pendingTimers).toBe(0);
    expect((await h.call('events', { query: { since: 'yesterday-ish' } })).args.status).toBe(400);
  });

  test('images: busybox:local by default, pull adds one with progress lines, inspect and 404 text', async () => {
    const h = harness();
    const pull = await h.call('image.create', {
      query: { fromImage: 'docker.io/library/busybox', tag: 'nosuch' },
    });
    const lines = (await buffer(pull.stream as PassThrough))
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.at(-1)).toEqual({ status: 'Status: Downloaded newer image for busybox:nosuch' });
    const rows = (await h.call('image.list')).args.body as { RepoTags: string[]; Id: string }[];
    expect(rows.map((r) => r.RepoTags[0])).toEqual(['busybox:nosuch', 'busybox:local']);
    const insp = await h.call('image.inspect', { id: 'busybox:nosuch' });
    expect(insp.args.body).toMatchObject({ Id: rows[0]?.Id, Os: 'linux', Config: { Cmd: ['sh'] } });
    const missing = await h.call('image.inspect', { id: 'nosuch' });
    expect(missing.args).toMatchObject({
      status: 404,
      message: 'no such image: nosuch: No such image: nosuch:latest',
    });
    await h.create(['true'], { Image: 'busybox:nosuch' });
  });

  test('ping, version, info (named engine, labels, counts), unknown op', async () => {
    const h = harness(['node7', '--label', 'storage=ssd']);
    await h.create(['true']);
    expect((await h.call('ping')).args).toEqual({
      status: 200,
      body: 'OK',
      headers: { 'api-version': '1.41', ostype: 'linux' },
    });
    expect((await h.call('version')).args.body).toMatchObject({ ApiVersion: '1.41', Version: '20.10.24' });
    const info = (await h.call('info')).args.body as Record<string, unknown>;
    expect(info).toMatchObject({
      Name: 'node7',
      Labels: ['storage=ssd'],
      Containers: 1,
      ContainersStopped: 1,
      Images: 1,
    });
    const r = await h.call('container.stats', { id: 'x' });
    expect(r.args.status).toBe(501);
    expect(r.closed).toBe(true);
  });

  test('stage arguments: one name, options, clear errors; --seed starts idle containers without timers', async () => {
    expect(parseSimulatorArgs([])).toEqual({ name: 'simulator', labels: [], seed: 0 });
    expect(() => parseSimulatorArgs(['n1', 'n2'])).toThrow(/aggregate "simulator n1" "simulator n2"/);
    expect(() => parseSimulatorArgs(['--seed', 'lots'])).toThrow(/--seed/);
    expect(() => parseSimulatorArgs(['--label', 'nokv'])).toThrow(/key=value/);
    expect(() => parseSimulatorArgs(['--bogus'])).toThrow(/unknown option/);
    const h = harness(['n1', '--seed', '10']);
    const rows = (await h.call('container.list')).args.body as Row[];
    expect(rows).toHaveLength(10);
    expect(rows.at(-1)?.Names).toEqual(['/n1-c0']);
    expect(h.clock.pendingTimers).toBe(0);
    expect(simulatorStage.name).toBe('simulator');
  });
});
