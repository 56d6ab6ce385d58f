import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorArgs } from '../../src/actors/message.js';
import { type DockerResult, type DockerStreamResult, resultBody } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient, dockerclientStage, type HealthState } from '../../src/backends/dockerclient.js';
import { ErrorCode } from '../../src/errors.js';
import { connectionsTo, type Daemon, startDaemons, stopDaemons, until } from '../harness/index.js';
import { ask, demux, testContext } from './support.js';

const FAST_HEALTH = { probeInterval: 200, degradedProbeInterval: 100, backoffBase: 100, backoffMax: 400 };

describe('dockerclient stage against a private dockerd', () => {
  let d: Daemon;
  let dc: DockerClient;
  beforeAll(async () => {
    [d] = (await startDaemons(1, { tcp: true })) as [Daemon];
    dc = new DockerClient(parseEngineArgs([d.tcp!]), testContext(), {
      connections: 4,
      timeoutMs: 10_000,
      probeTimeoutMs: 300,
      health: FAST_HEALTH,
    });
    await dc.start();
  });
  afterAll(async () => {
    await dc?.stop();
    if (d) await stopDaemons([d]);
  });

  it('rejects bad arguments at create with a usage hint', () => {
    expect(() => dockerclientStage.create([], testContext())).toThrow(
      /missing the daemon address[\s\S]*usage/,
    );
    expect(() => dockerclientStage.create(['ftp://x'], testContext())).toThrow(/not a daemon address/);
    expect(() => dockerclientStage.create(['unix:///x', '--tlsverify'], testContext())).toThrow(/tcp:\/\//);
  });

  it('answers ping with the negotiated version and health, and version with the daemon JSON', async () => {
    const ping = await ask(dc, { op: 'ping' });
    expect(ping.verb).toBe('set');
    const p = ping.args as DockerResult;
    expect(p.headers?.['Api-Version']).toBe('1.41');
    expect(p.headers?.['X-Swarm-Health']).toBe('healthy');
    const v = await ask(dc, { op: 'version' });
    // Passed on as dockerd's own bytes with its Content-Type, parsed only by a stage that reads it.
    expect((v.args as DockerResult).body).toBeInstanceOf(Uint8Array);
    expect((v.args as DockerResult).headers?.['Content-Type']).toBe('application/json');
    expect(resultBody(v.args as DockerResult)).toMatchObject({ ApiVersion: '1.41', Os: 'linux' });
  });

  it('create / start / logs / wait / list / remove, and 404 with dockerd message afterwards', async () => {
    const created = await ask(dc, {
      op: 'container.create',
      query: { name: 'dc-life' },
      body: {
        Image: 'busybox:local',
        Cmd: ['sh', '-c', 'echo out1; echo err1 >&2; exit 3'],
        HostConfig: { NetworkMode: 'none' },
      },
    });
    expect(created.verb).toBe('set');
    expect((created.args as DockerResult).status).toBe(201);
    const id = (resultBody(created.args as DockerResult) as { Id: string }).Id;
    const wait = await ask(dc, { op: 'container.wait', id, query: { condition: 'next-exit' } });
    expect(wait.verb).toBe('ack');
    expect((await ask(dc, { op: 'container.start', id: 'dc-life' })).args).toMatchObject({ status: 204 });
    expect(JSON.parse((await buffer(wait.stream!)).toString())).toEqual({ Error: null, StatusCode: 3 });
    const logs = await ask(dc, { op: 'container.logs', id, query: { stdout: '1', stderr: '1' } });
    expect(logs.args).toMatchObject({ status: 200, mode: 'chunked' });
    expect(demux(await buffer(logs.stream!))).toEqual({ stdout: 'out1\n', stderr: 'err1\n' });
    const list = await ask(dc, { op: 'container.list', query: { all: '1' } });
    expect((resultBody(list.args as DockerResult) as { Id: string }[]).map((c) => c.Id)).toContain(id);
    expect((await ask(dc, { op: 'container.remove', id })).args).toMatchObject({ status: 204 });
    const missing = await ask(dc, { op: 'container.inspect', id: 'dc-life' });
    expect(missing.verb).toBe('error');
    expect(missing.args).toEqual({
      message: 'No such container: dc-life',
      status: 404,
      code: ErrorCode.NotFound,
    });
  });

  it('attach pipes the request stream as stdin (busybox cat) and streams output back', async () => {
    const created = await ask(dc, {
      op: 'container.create',
      body: {
        Image: 'busybox:local',
        Cmd: ['cat'],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        HostConfig: { NetworkMode: 'none', AutoRemove: true },
      },
    });
    const id = (resultBody(created.args as DockerResult) as { Id: string }).Id;
    const stdin = new PassThrough();
    const att = await ask(
      dc,
      { op: 'container.attach', id, query: { stream: '1', stdin: '1', stdout: '1', stderr: '1' } },
      stdin,
    );
    expect(att.verb).toBe('ack');
    expect((att.args as DockerStreamResult).mode).toBe('raw-stream');
    const output = buffer(att.stream!);
    await ask(dc, { op: 'container.start', id });
    stdin.end('hello through cat\n');
    expect(demux(await output).stdout).toBe('hello through cat\n');
  });

  it('streams events as they happen; destroying the stream ends the call', async () => {
    // Only this container's events: an earlier test's container may still be going away (its destroy).
    const filters = JSON.stringify({ type: ['container'], container: ['dc-ev'] });
    const ev = await ask(dc, { op: 'events', query: { filters } });
    expect(ev.verb).toBe('ack');
    const s = ev.stream!;
    try {
      const seen = new Promise<string>((resolve) => {
        let buf = '';
        s.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('"create"')) resolve(buf);
        });
      });
      const c = await ask(dc, {
        op: 'container.create',
        query: { name: 'dc-ev' },
        body: { Image: 'busybox:local', Cmd: ['true'] },
      });
      expect(c.verb).toBe('set');
      expect(JSON.parse((await seen).split('\n')[0]!)).toMatchObject({ Type: 'container', Action: 'create' });
    } finally {
      s.destroy();
    }
    await ask(dc, { op: 'container.remove', id: 'dc-ev' });
  });

  it('bad input gets a clear error and its stream is destroyed', async () => {
    const stream = new PassThrough();
    const r = await ask(dc, { op: 'no.such.op' as 'ping' }, stream);
    expect(r.verb).toBe('error');
    expect((r.args as ErrorArgs).message).toMatch(/unknown docker op "no.such.op"/);
    expect((r.args as ErrorArgs).status).toBe(400);
    expect(stream.destroyed).toBe(true);
    const noId = await ask(dc, { op: 'container.start' });
    expect((noId.args as ErrorArgs).message).toMatch(/container.start needs an id/);
    // A null JSON body is no body, not a crash or a "connection lost".
    expect((await ask(dc, { op: 'container.list', body: null })).verb).toBe('set');
    expect(dc.health).toBe('healthy');
  });

  it('keeps pooled sockets within the pool over 30 calls; abandoned streams free their own sockets', async () => {
    const port = Number(new URL(d.tcp!).port);
    const calls = Array.from({ length: 30 }, (_, i) =>
      i % 5 === 0
        ? ask(dc, { op: 'events' }).then((m) => m.stream?.destroy())
        : ask(dc, { op: 'container.list' }),
    );
    await Promise.all(calls);
    // Streams are not pooled: each abandoned event stream had its own socket, closed with it.
    const t0 = Date.now();
    let used = -1;
    await until(
      () => {
        used = connectionsTo(port);
        return used <= 4 && dc.engine.streamsOpen === 0;
      },
      2_000,
      () => `at most 4 sockets (${used}) and no stream open (${dc.engine.streamsOpen})`,
      20,
    );
    console.log(
      `[stage] sockets ${Date.now() - t0} ms after 30 calls: ${used}; streams open ${dc.engine.streamsOpen}`,
    );
    expect(dc.engine.streamsOpen).toBe(0);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(4);
  });

  it('a STOPped daemon: DeadlineExceeded as a 504 error reply; works after CONT', async () => {
    const quick = new DockerClient(parseEngineArgs([d.host]), testContext('dc#quick'), { timeoutMs: 400 });
    try {
      await ask(quick, { op: 'ping' });
      d.kill('SIGSTOP');
      const r = await ask(quick, { op: 'info' });
      expect(r.verb).toBe('error');
      expect(r.args).toMatchObject({ status: 504, code: ErrorCode.DeadlineExceeded });
      d.kill('SIGCONT');
      expect((await ask(quick, { op: 'info' })).verb).toBe('set');
    } finally {
      d.kill('SIGCONT');
      await quick.stop();
    }
  });

  it('health: healthy → down when the daemon is killed → healthy after restart', async () => {
    const seen: HealthState[] = [];
    const unsub = dc.subscribe((s) => seen.push(s));
    // down probes at once and a failed probe moves to backoff, so either counts as "down".
    const reached = (states: HealthState[], ms: number) =>
      until(
        () => states.includes(dc.health) && dc.health,
        ms,
        () => `${states} (still ${dc.health})`,
        20,
      );
    expect(await reached(['healthy'], 5_000)).toBe('healthy');
    d.kill('SIGKILL');
    const t0 = Date.now();
    expect(await reached(['down', 'backoff'], 5_000)).toMatch(/down|backoff/);
    const downAfter = Date.now() - t0;
    const failed = await ask(dc, { op: 'info' });
    expect(failed.args).toMatchObject({ status: 502, code: ErrorCode.ConnectionLost });
    await d.restart();
    const t1 = Date.now();
    expect(await reached(['healthy'], 10_000)).toBe('healthy');
    unsub();
    expect(seen).toContain('degraded');
    expect(seen.some((s) => s === 'down' || s === 'backoff')).toBe(true);
    expect(seen.at(-1)).toBe('healthy');
    console.log(`health: down ${downAfter} ms after KILL, healthy ${Date.now() - t1} ms after restart`);
  });
});
