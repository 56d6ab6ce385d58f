/**
 * dockerserver against a test-only responder stage: negotiation, routing, bad input and downstream
 * failures, checked with the real docker CLI where it can express the case and raw HTTP where not.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { DockerServer } from '../../src/backends/dockerserver.js';
import { SimulatedClock } from '../../src/clock.js';
import { until } from '../harness/until.js';
import { docker, type OpHandler, raw, reply, responder, startServer, tempDir } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(
  downstream: Parameters<typeof startServer>[0],
  clock?: SimulatedClock,
): Promise<{ server: DockerServer; sock: string; host: string }> {
  const t = tempDir();
  const sock = `${t.dir}/d.sock`;
  const server = await startServer(downstream, [`unix://${sock}`], clock);
  cleanups.push(t.cleanup, () => server.stop());
  return { server, sock, host: `unix://${sock}` };
}

describe('version negotiation', () => {
  it('answers HEAD and GET /_ping like dockerd, reporting the next stage version capped at 1.41', async () => {
    const { sock } = await serve(responder({}, '1.43'));
    const head = await raw(sock, 'HEAD', '/_ping');
    expect(head.status).toBe(200);
    expect(head.headers['api-version']).toBe('1.41');
    expect(head.headers.ostype).toBe('linux');
    expect(head.headers['docker-experimental']).toBe('false');
    expect(head.headers['cache-control']).toBe('no-cache, no-store, must-revalidate');
    expect(head.headers.pragma).toBe('no-cache');
    const get = await raw(sock, 'GET', '/_ping');
    expect(get.body).toBe('OK');
  });

  it('reports an older next stage as is, asks it once, and the CLI uses that version', async () => {
    const down = responder(
      {
        version: (m) => reply(m, 'set', { status: 200, body: { Version: 'resp', ApiVersion: '1.40' } }),
      },
      '1.40',
    );
    const { host } = await serve(down);
    const first = await docker(host, ['version', '--format', '{{.Client.APIVersion}} {{.Server.Version}}']);
    expect(first).toMatchObject({ code: 0, stdout: '1.40 resp\n' });
    await docker(host, ['version', '--format', '{{.Server.Version}}']);
    expect(down.received.filter((m) => m.args.op === 'ping')).toHaveLength(1);
  });

  it('refuses a too-new version prefix with dockerd message; accepts unprefixed routes', async () => {
    const down = responder({ info: (m) => reply(m, 'set', { status: 200, body: { Name: 'n1' } }) });
    const { sock } = await serve(down);
    const tooNew = await raw(sock, 'GET', '/v1.99/info');
    expect(tooNew.status).toBe(400);
    expect(JSON.parse(tooNew.body)).toEqual({
      message: 'client version 1.99 is too new. Maximum supported API version is 1.41',
    });
    expect((await raw(sock, 'GET', '/info')).body).toBe('{"Name":"n1"}\n');
    expect((await raw(sock, 'GET', '/v1.41/info')).body).toBe('{"Name":"n1"}\n');
  });
});

describe('routing and bad input', () => {
  it('answers unknown routes 404 page not found with Content-Type application/json exactly', async () => {
    const down = responder({});
    const { sock, host } = await serve(down);
    const res = await raw(sock, 'GET', '/v1.41/nosuch');
    expect(res).toMatchObject({ status: 404, body: '{"message":"page not found"}\n' });
    expect(res.headers['content-type']).toBe('application/json');
    // Every Engine API operation is routed; a stage that does not model one says so, cleanly printed.
    const cli = await docker(host, ['network', 'ls']);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(
      /^Error response from daemon: GET \/networks: responder does not implement network.list \(networks\); .*\n$/,
    );
    expect(down.received.map((m) => m.args.op)).toContain('network.list');
  });

  it('rejects malformed JSON with 400 and never forwards it', async () => {
    const down = responder({});
    const { sock } = await serve(down);
    const res = await raw(sock, 'POST', '/v1.41/containers/create', '{"Image": ', {
      'Content-Type': 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body).message).toMatch(/^invalid JSON in request body: /);
    expect(down.received.filter((m) => m.args.op === 'container.create')).toHaveLength(0);
  });

  it('rejects a body over 16 MiB with 413 and closes the connection', async () => {
    const down = responder({});
    const { sock } = await serve(down);
    const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    const res = await raw(sock, 'POST', '/containers/create', big, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(JSON.parse(res.body).message).toMatch(/exceeds the limit of 16777216 bytes/);
    expect(down.received.filter((m) => m.args.op === 'container.create')).toHaveLength(0);
  });

  it('passes id, query and JSON body through as DockerArgs', async () => {
    const down = responder({
      'container.create': (m) => reply(m, 'set', { status: 201, body: { Id: 'abc123', Warnings: [] } }),
      'image.inspect': (m) => reply(m, 'error', { message: `no such image: ${m.args.id}`, status: 404 }),
    });
    const { sock } = await serve(down);
    const res = await raw(sock, 'POST', '/v1.41/containers/create?name=c1', '{"Image":"busybox:local"}', {
      'Content-Type': 'application/json',
    });
    expect(res).toMatchObject({ status: 201, body: '{"Id":"abc123","Warnings":[]}\n' });
    const created = down.received.find((m) => m.args.op === 'container.create');
    expect(created?.verb).toBe('spawn');
    expect(created?.args).toEqual({
      op: 'container.create',
      query: { name: 'c1' },
      body: { Image: 'busybox:local' },
    });
    await raw(sock, 'GET', '/v1.41/images/reg:5000/team/img:tag/json');
    expect(down.received.find((m) => m.args.op === 'image.inspect')?.args.id).toBe('reg:5000/team/img:tag');
  });
});

describe('downstream failures', () => {
  it('passes a stage error through to the CLI like dockerd (start, inspect of a missing object)', async () => {
    const missing: OpHandler = (m) =>
      reply(m, 'error', { message: `No such container: ${m.args.id}`, status: 404 });
    const down = responder({
      'container.start': missing,
      'container.inspect': missing,
      'image.inspect': (m) => reply(m, 'error', { message: 'no such image', code: 'SWARM_ERR_NOT_FOUND' }),
      info: (m) => reply(m, 'set', { status: 200, body: {} }),
    });
    const { host } = await serve(down);
    const start = await docker(host, ['start', 'nosuch']);
    expect(start).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error response from daemon: No such container: nosuch\nError: failed to start containers: nosuch\n',
    });
    const inspect = await docker(host, ['inspect', 'nosuch']);
    expect(inspect).toEqual({ code: 1, stdout: '[]\n', stderr: 'Error: No such object: nosuch\n' });
  });

  it('turns a missing answer into 504 naming the stage (simulated clock), and a closed reply channel into 500', async () => {
    const clock = new SimulatedClock();
    const down = responder({
      'container.list': () => {},
      'container.top': (m) => m.ret?.close(),
    });
    const { sock } = await serve(down, clock);
    const pending = raw(sock, 'GET', '/v1.41/containers/json');
    await until(() => down.received.some((m) => m.args.op === 'container.list'));
    clock.advance(119_999);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(1);
    const res = await pending;
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toEqual({
      message: 'dockerserver#test: the next stage did not answer container.list within 120 s',
    });
    const closed = await raw(sock, 'GET', '/containers/x/top');
    expect(closed.status).toBe(500);
    expect(JSON.parse(closed.body).message).toBe(
      'dockerserver#test: the next stage closed the reply channel without answering container.top',
    );
  });

  it('answers 500 with the fix when there is no next stage', async () => {
    const { sock } = await serve(undefined);
    const res = await raw(sock, 'GET', '/containers/json');
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body).message).toMatch(
      /^dockerserver#test has no next stage to answer container.list; chain a backend/,
    );
  });
});

describe('streams', () => {
  it('flushes wait headers before any body exists, then streams the body', async () => {
    const body = new PassThrough();
    const { sock } = await serve(
      responder({
        'container.wait': (m) =>
          reply(
            m,
            'ack',
            { status: 200, mode: 'chunked', headers: { 'Content-Type': 'application/json' } },
            body,
          ),
      }),
    );
    const got = await new Promise<{ status: number; type: string | undefined; rest: Promise<string> }>(
      (resolve, reject) => {
        const req = request(
          { socketPath: sock, method: 'POST', path: '/v1.41/containers/c/wait?condition=next-exit' },
          (res) => {
            const rest = new Promise<string>((r) => {
              let t = '';
              res.on('data', (d: Buffer) => {
                t += d.toString();
              });
              res.on('end', () => r(t));
            });
            resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], rest });
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(got).toMatchObject({ status: 200, type: 'application/json' });
    body.end('{"Error":null,"StatusCode":3}\n');
    expect(await got.rest).toBe('{"Error":null,"StatusCode":3}\n');
  });

  it('destroys the stage stream when the client disconnects mid-stream', async () => {
    const events = new PassThrough();
    const { sock } = await serve(
      responder({ events: (m) => reply(m, 'ack', { status: 200, mode: 'chunked', headers: {} }, events) }),
    );
    await new Promise<void>((resolve, reject) => {
      const req = request({ socketPath: sock, path: '/v1.41/events' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => {});
      req.end();
      events.write('{"status":"create"}\n');
      setTimeout(() => reject(new Error('no data')), 3000);
    });
    await until(() => events.destroyed);
  });
});

describe('shutdown', () => {
  it('stop() ends hijacked connections and destroys their stage streams', async () => {
    const output = new PassThrough();
    const down = responder({
      'container.attach': (m) => reply(m, 'ack', { status: 101, mode: 'raw-stream', headers: {} }, output),
    });
    const { server, sock } = await serve(down);
    const closed = await new Promise<string>((resolve, reject) => {
      const s = connect({ path: sock, allowHalfOpen: true });
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n\r\n')) void server.stop();
      });
      s.on('end', () => {
        s.end();
        resolve(got);
      });
      s.on('error', reject);
      s.write(
        'POST /v1.41/containers/c/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
      );
    });
    expect(closed).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    await until(() => output.destroyed);
    const stdin = down.received.find((m) => m.args.op === 'container.attach')?.stream;
    await until(() => stdin?.destroyed === true);
  });

  it('sends a raw stream to a client that did not ask for an upgrade as a plain 200 body', async () => {
    const output = new PassThrough();
    const down = responder({
      'container.attach': (m) => reply(m, 'ack', { status: 101, mode: 'raw-stream', headers: {} }, output),
    });
    const { sock } = await serve(down);
    output.end('raw-bytes');
    const res = await raw(sock, 'POST', '/containers/c/attach?stream=1&stdout=1');
    expect(res).toMatchObject({ status: 200, body: 'raw-bytes' });
    expect(res.headers['content-type']).toBe('application/vnd.docker.raw-stream');
  });
});
