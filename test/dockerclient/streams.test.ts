import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerResult, resultBody } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { connectionsTo, type Daemon, startDaemons, stopDaemons, until } from '../harness/index.js';
import { ask, testContext } from './support.js';

describe('dockerclient byte streams against a private dockerd', () => {
  let d: Daemon;
  let dc: DockerClient;
  beforeAll(async () => {
    [d] = (await startDaemons(1, { tcp: true })) as [Daemon];
    dc = new DockerClient(parseEngineArgs([d.host]), testContext());
  });
  afterAll(async () => {
    await dc?.stop();
    if (d) await stopDaemons([d]);
  });

  it('archive put (request stream = tar), stat (path-stat header) and get (tar stream)', async () => {
    const c = await ask(dc, { op: 'container.create', body: { Image: 'busybox:local', Cmd: ['true'] } });
    const id = (resultBody(c.args as DockerResult) as { Id: string }).Id;
    const src = mkdtempSync('/tmp/sw-tar-');
    writeFileSync(`${src}/hello.txt`, 'hello archive\n');
    const tar = execFileSync('tar', ['-C', src, '-c', 'hello.txt']);
    rmSync(src, { recursive: true });
    const body = new PassThrough();
    body.end(tar);
    const put = await ask(dc, { op: 'container.archive.put', id, query: { path: '/' } }, body);
    expect(put.args).toMatchObject({ status: 200 });
    const stat = await ask(dc, { op: 'container.archive.stat', id, query: { path: '/hello.txt' } });
    const header = (stat.args as DockerResult).headers?.['X-Docker-Container-Path-Stat'];
    expect(JSON.parse(Buffer.from(header!, 'base64').toString())).toMatchObject({
      name: 'hello.txt',
      size: 14,
    });
    const get = await ask(dc, { op: 'container.archive.get', id, query: { path: '/hello.txt' } });
    expect(get.verb).toBe('ack');
    expect((await buffer(get.stream!)).toString()).toContain('hello archive\n');
    const missing = await ask(dc, { op: 'container.archive.get', id, query: { path: '/nope' } });
    expect(missing.verb).toBe('error');
    expect(missing.args).toMatchObject({ status: 404 });
    await ask(dc, { op: 'container.remove', id, query: { force: '1' } });
  });

  it('destroying a followed logs stream aborts the call and frees its socket', async () => {
    const port = Number(new URL(d.tcp!).port);
    const viaTcp = new DockerClient(parseEngineArgs([d.tcp!]), testContext('dc#tcp'));
    const c = await ask(viaTcp, {
      op: 'container.create',
      body: {
        Image: 'busybox:local',
        Cmd: ['sh', '-c', 'while true; do echo tick; sleep 0.1; done'],
        HostConfig: { NetworkMode: 'none' },
      },
    });
    const id = (resultBody(c.args as DockerResult) as { Id: string }).Id;
    await ask(viaTcp, { op: 'container.start', id });
    const logs = await ask(viaTcp, { op: 'container.logs', id, query: { follow: '1', stdout: '1' } });
    const first = await new Promise<Buffer>((r) => logs.stream!.once('data', r));
    expect(first.subarray(8).toString()).toBe('tick\n');
    const during = connectionsTo(port);
    logs.stream!.destroy();
    expect(await until(() => connectionsTo(port) < during, 2_000, 'fewer connections', 20)).toBe(true);
    await ask(viaTcp, { op: 'container.remove', id, query: { force: '1' } });
    await viaTcp.stop();
    expect(await until(() => connectionsTo(port) === 0, 2_000, 'no connections', 20)).toBe(true);
  });

  it('exec start with Detach answers set; image inspect by name', async () => {
    const c = await ask(dc, {
      op: 'container.create',
      body: { Image: 'busybox:local', Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'none' } },
    });
    const id = (resultBody(c.args as DockerResult) as { Id: string }).Id;
    await ask(dc, { op: 'container.start', id });
    const ex = await ask(dc, { op: 'container.exec', id, body: { Cmd: ['true'] } });
    const execId = (resultBody(ex.args as DockerResult) as { Id: string }).Id;
    const started = await ask(dc, { op: 'exec.start', id: execId, body: { Detach: true } });
    expect(started.verb).toBe('set');
    expect((started.args as DockerResult).status).toBe(200);
    const img = await ask(dc, { op: 'image.inspect', id: 'busybox:local' });
    expect(resultBody(img.args as DockerResult)).toMatchObject({ RepoTags: ['busybox:local'] });
    await ask(dc, { op: 'container.remove', id, query: { force: '1' } });
  });
});
