/**
 * Issue 10 item 6: a create body with `Labels: {"a": [[[…20,000 levels…]]]}` (40 KB) was stored by the
 * simulator, and every later `ps`/`inspect` failed with 500 "Maximum call stack size exceeded" until
 * the container was removed. Now: create bodies are type-checked as dockerd 20.10 decodes them (the
 * same status and Go message as a real daemon, compared here against one), no JSON body nested past
 * 512 levels gets past the HTTP edge (400), and a list row that cannot be formatted or written is
 * left out with a log line instead of failing the whole list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { type DockerServer, dockerserverStage } from '../../src/backends/dockerserver.js';
import { Engine } from '../../src/backends/simulator/engine.js';
import { handleDocker } from '../../src/backends/simulator/handlers.js';
import { systemClock } from '../../src/clock.js';
import { raw, reply, responder, startServer, tempDir } from '../dockerserver/helpers.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import { collector } from '../simulator/helpers.js';
import { type Front, startFront } from './http-front.js';
import { exchange, parseAnswer, request } from './http-raw.js';

let d: Daemon;
let front: Front;
beforeAll(async () => {
  [d] = (await startDaemons(1)) as [Daemon];
  front = await startFront();
});
afterAll(async () => {
  await front?.stop();
  await stopDaemons(d ? [d] : []);
});

/** `[[[…]]]` nested `n` levels, as text. */
const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

async function create(sock: string, body: string) {
  const a = parseAnswer(
    await exchange(
      sock,
      request('POST', '/v1.41/containers/create', { 'Content-Type': 'application/json' }, body),
    ),
  );
  return { status: a.status, body: JSON.parse(a.body) as Record<string, unknown> };
}

const IMG = '"Image":"busybox:local","Cmd":["true"]';
const WRONG_TYPES = [
  `{${IMG},"Labels":{"a":1}}`,
  `{${IMG},"Labels":{"a":[1]}}`,
  `{${IMG},"Labels":{"a":{"b":"c"}}}`,
  `{${IMG},"Labels":{"a":true}}`,
  `{${IMG},"Labels":[]}`,
  `{${IMG},"Labels":"x"}`,
  `{${IMG},"Labels":{"a":"b","c":2,"d":[1]}}`,
  `{${IMG},"labels":{"a":1}}`,
  `{${IMG},"Labels":{"a":${nested(50)}}}`,
  `{${IMG},"Env":["A=1",2]}`,
  `{${IMG},"Env":"x"}`,
  `{"Image":"busybox:local","Cmd":[1]}`,
  `{"Image":"busybox:local","Labels":{"a":1},"Cmd":[1]}`,
  `{"Image":1,"Cmd":["true"]}`,
  `{${IMG},"Hostname":1,"Tty":"x"}`,
  `{${IMG},"StopTimeout":1.5}`,
  `{${IMG},"ExposedPorts":{"80/tcp":1}}`,
  `{${IMG},"ExposedPorts":"x"}`,
  `{${IMG},"Volumes":[1]}`,
  `{${IMG},"HostConfig":[]}`,
  `{${IMG},"HostConfig":{"Memory":"x"},"Labels":{"a":1}}`,
  `{${IMG},"HostConfig":{"Memory":1.5}}`,
  `{${IMG},"HostConfig":{"PortBindings":"x"}}`,
  `{${IMG},"HostConfig":{"PortBindings":{"80/tcp":{}}}}`,
  `{${IMG},"HostConfig":{"PortBindings":{"80/tcp":[1]}}}`,
  `{${IMG},"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":80}]}}}`,
  `{${IMG},"HostConfig":{"RestartPolicy":{"Name":1}}}`,
  `{${IMG},"HostConfig":{"LogConfig":{"Config":{"a":1}}}}`,
  `{${IMG},"HostConfig":{"NetworkMode":1}}`,
  `{${IMG},"HostConfig":{"CapAdd":1}}`,
  `{${IMG},"HostConfig":{"ConsoleSize":[1,"x"]}}`,
  '[]',
  '"x"',
];

describe('create bodies of the wrong JSON types, against a real dockerd 20.10', () => {
  it.each(WRONG_TYPES)('%s: same status and message as dockerd, nothing stored', async (body) => {
    const before = front.sim.engine.containers.size;
    const direct = await create(d.socket, body);
    const swarmd = await create(front.sock, body);
    expect(direct.status).toBe(500); // dockerd 20.10 does not mark decode errors as bad parameters
    expect(direct.body.message).toMatch(/^json: cannot unmarshal /);
    expect(swarmd).toEqual(direct);
    expect(front.sim.engine.containers.size).toBe(before);
  });

  it('accepts what dockerd accepts: null labels and values, unknown keys, a string Cmd', async () => {
    for (const body of [
      `{${IMG},"Labels":{"a":null,"b":"c"}}`,
      `{${IMG},"Labels":null,"Foo":[1,{"x":[]}]}`,
      '{"Image":"busybox:local","Cmd":"true"}',
    ]) {
      const direct = await create(d.socket, body);
      const swarmd = await create(front.sock, body);
      expect([direct.status, swarmd.status]).toEqual([201, 201]);
    }
    const ps = parseAnswer(await exchange(front.sock, request('GET', '/v1.41/containers/json?all=1')));
    const rows = JSON.parse(ps.body) as { Labels: Record<string, string> }[];
    expect(rows.map((r) => r.Labels)).toContainEqual({ a: '', b: 'c' });
  });
});

describe('deeply nested bodies', () => {
  const deep = `{${IMG},"Labels":{"a":${nested(20_000)}}}`;

  it('the 40 KB body of the report: dockerd refuses it, swarmd refuses it at the edge, and ps still works', async () => {
    expect(deep.length).toBeGreaterThan(40_000);
    const direct = await create(d.socket, deep);
    expect(direct).toEqual({ status: 500, body: { message: "invalid character '[' exceeded max depth" } });
    const swarmd = await create(front.sock, deep);
    expect(swarmd.status).toBe(400);
    expect(swarmd.body.message).toMatch(
      /^invalid JSON in request body: nested deeper than 512 arrays\/objects/,
    );
    const ps = parseAnswer(await exchange(front.sock, request('GET', '/v1.41/containers/json?all=1')));
    expect(ps.status).toBe(200);
  });

  it('is refused at the edge on any route and never forwarded', async () => {
    const down = responder({});
    const t = tempDir();
    const server: DockerServer = await startServer(down, [`unix://${t.dir}/s.sock`]);
    try {
      for (const [path, body] of [
        ['/v1.41/containers/x/exec', `{"Cmd":${nested(600)}}`],
        ['/v1.41/containers/create', `{"Foo":${nested(513)}}`],
        ['/v1.41/containers/create', `{"Foo":"${'['.repeat(5000)}"}`], // brackets in a string are text
      ] as const) {
        const res = await raw(`${t.dir}/s.sock`, 'POST', path, body, { 'Content-Type': 'application/json' });
        if (body.startsWith('{"Foo":"'))
          expect(res.status).toBe(501); // parsed, forwarded, not handled
        else
          expect([res.status, JSON.parse(res.body).message]).toEqual([
            400,
            expect.stringMatching(/nested deeper than 512/),
          ]);
      }
      expect(down.received.map((m) => m.args.op).filter((op) => op !== 'ping')).toEqual(['container.create']);
    } finally {
      await server.stop();
      t.cleanup();
    }
  });

  it('a stage past the edge (a remote chain, a test) cannot store one in the simulator either', () => {
    const engine = new Engine({ name: 'sim', clock: systemClock });
    const labels = { a: JSON.parse(nested(20_000)) as unknown };
    expect(() => engine.create({}, { Image: 'busybox:local', Cmd: ['true'], Labels: labels })).toThrow(
      "invalid character '[' exceeded max depth",
    );
    expect(() =>
      engine.create({}, { Image: 'busybox:local', Cmd: ['true'], Foo: JSON.parse(nested(600)) }),
    ).toThrow(/exceeded max depth/);
    expect(engine.containers.size).toBe(0);
    // A key an in-process stage left undefined (aggregate's Env) is an absent key, not a wrong type.
    engine.create({}, { Image: 'busybox:local', Cmd: ['true'], Env: undefined, Labels: undefined });
    expect(engine.containers.size).toBe(1);
  });
});

describe('one bad row never fails a list', () => {
  it('the edge leaves out a row it cannot write as JSON, logs it once, and answers the rest', async () => {
    let deepValue: unknown = [];
    for (let i = 0; i < 20_000; i++) deepValue = [deepValue];
    const rows = [{ Id: 'good1' }, { Id: 'bad', Labels: { a: deepValue } }, { Id: 'good2' }];
    const down = responder({ 'container.list': (m) => reply(m, 'set', { status: 200, body: rows }) });
    const t = tempDir();
    const logs: string[] = [];
    const { pino } = await import('pino');
    const log = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    const server = (await dockerserverStage.create([`unix://${t.dir}/s.sock`], {
      name: 'dockerserver#rows',
      downstream: down,
      log,
      clock: systemClock,
    })) as DockerServer;
    await server.start?.();
    try {
      const res = await raw(`${t.dir}/s.sock`, 'GET', '/v1.41/containers/json');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual([{ Id: 'good1' }, { Id: 'good2' }]);
      expect(logs).toHaveLength(1);
      expect(JSON.parse(logs[0]!)).toMatchObject({ op: 'container.list', skipped: 1 });
    } finally {
      await server.stop();
      t.cleanup();
    }
  });

  it('the simulator leaves out a container whose row cannot be formatted, with a log line', async () => {
    const warnings: object[] = [];
    const engine = new Engine({ name: 'sim', clock: systemClock, log: { warn: (o) => warnings.push(o) } });
    const good = engine.create({ name: 'good' }, { Image: 'busybox:local', Cmd: ['sleep', '9'] }).Id;
    const bad = engine.create({ name: 'bad' }, { Image: 'busybox:local', Cmd: ['sleep', '9'] }).Id;
    // A row that breaks formatting however it got there (here: put in place behind the validation).
    engine.containers.get(bad).hostConfig.PortBindings = { '80/tcp': 'not a list' };
    const c = collector();
    await handleDocker(engine, {
      verb: 'ls',
      args: { op: 'container.list', query: { all: '1' } },
      ret: c.sender,
    } as Message);
    const got = await c.reply;
    expect(got.verb).toBe('set');
    expect((got.args.body as { Id: string }[]).map((r) => r.Id)).toEqual([good]);
    expect(warnings).toEqual([expect.objectContaining({ id: bad })]);
  });
});
