import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DockerRunResult,
  docker,
  dockerLive,
  freePort,
  type SwarmdProcess,
  startSwarmd,
  until,
} from '../harness/index.js';
import { sharedTlsPems } from '../harness/tls.js';
import { tempDir } from './support.js';

const dir = tempDir();
const procs: SwarmdProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  rmSync(dir, { recursive: true, force: true });
});
async function swarmd(stages: string[]): Promise<SwarmdProcess> {
  const p = await startSwarmd(stages, 20_000, { logLevel: 'info' });
  procs.push(p);
  return p;
}

describe('docker CLI → swarmd A (dockerserver, remote) → ws + token → swarmd B (listen, simulator)', () => {
  let port: number;
  let host: string;
  let b: SwarmdProcess;
  let a: SwarmdProcess;
  beforeAll(async () => {
    port = await freePort();
    host = `unix://${join(dir, 'a.sock')}`;
    b = await swarmd([`listen ws://127.0.0.1:${port} --token s3cret-s3cret-s3cret`, 'simulator nodeB']);
    a = await swarmd([`dockerserver ${host}`, `remote ws://127.0.0.1:${port} --token s3cret-s3cret-s3cret`]);
  });

  it('runs a container and lists it through both processes', async () => {
    expect(b.stderr()).toMatch(
      new RegExp(`accepting remote stages on ws://127\\.0\\.0\\.1:${port}/ \\(token from --token\\)`),
    );
    expect(a.stderr()).toMatch(/forwarding to ws:\/\/127\.0\.0\.1:\d+ \(linked; token from --token\)/);
    expect(await docker(['run', '--rm', 'busybox:local', 'echo', 'hi'], { host })).toMatchObject({
      code: 0,
      stdout: 'hi\n',
    });
    expect((await docker(['run', '--name', 'kept', 'busybox:local', 'true'], { host })).code).toBe(0);
    const ps = await docker(['ps', '-a', '--format', '{{.Names}} {{.Status}}'], { host });
    expect(ps).toMatchObject({ code: 0, stdout: expect.stringMatching(/^kept Exited \(0\)/m) });
  });

  it('B killed: A answers at once with a clear error; B back: A relinks and serves again', async () => {
    // Streams open across the link when it drops: each CLI must end, and A must stay up.
    expect(
      (await docker(['run', '-d', '--name', 'held', 'busybox:local', 'sleep', '600'], { host })).code,
    ).toBe(0);
    // --since replays what happened before the events stream reached B: the attach below may get
    // there first (seen in CI under load), and a live-only stream would never show it.
    const since = String(Math.floor(Date.now() / 1000) - 1);
    const live = [
      dockerLive(['events', '--since', since], host),
      dockerLive(['logs', '-f', 'held'], host),
      dockerLive(['attach', '--no-stdin', 'held'], host),
    ];
    await live[0]?.waitFor(/attach/); // the attach reached B's engine, so every stream is open
    await b.kill('SIGKILL');
    for (const cli of live) await cli.exited(10_000);
    expect(a.proc.exitCode, a.stderr()).toBeNull();
    const t0 = Date.now();
    const down = await docker(['ps', '-a'], { host, timeoutMs: 10_000 });
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(down.code).not.toBe(0);
    expect(down.stderr).toMatch(new RegExp(`remote#2: (not linked to|link to) ws://127\\.0\\.0\\.1:${port}`));
    b = await swarmd([`listen ws://127.0.0.1:${port} --token s3cret-s3cret-s3cret`, 'simulator nodeB']);
    let ps!: DockerRunResult;
    await until(
      async () => {
        ps = await docker(['ps', '-a'], { host });
        return ps.code === 0;
      },
      15_000,
      'ps through A',
      200,
    );
    expect(ps.code).toBe(0);
    expect(a.stderr()).toMatch(/linked to ws:\/\/127\.0\.0\.1:\d+/);
    expect(await docker(['run', '--rm', 'busybox:local', 'echo', 'again'], { host })).toMatchObject({
      code: 0,
      stdout: 'again\n',
    });
  });

  it('a wrong token is refused and A says so', async () => {
    const other = join(dir, 'bad.sock');
    const bad = await swarmd([
      `dockerserver unix://${other}`,
      `remote ws://127.0.0.1:${port} --token wrong-wrong-wrong-wrong`,
    ]);
    const r = await docker(['ps'], { host: `unix://${other}` });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused the token.*authentication failed/);
    await bad.kill();
  });
});

describe('the same over tls:// with mutual TLS (certificates made at test time)', () => {
  let host: string;
  beforeAll(async () => {
    const c = sharedTlsPems();
    const f = (name: string, pem: string) => {
      const p = join(dir, name);
      writeFileSync(p, pem, { mode: 0o600 });
      return p;
    };
    const ca = f('ca.pem', c.ca);
    const port = await freePort();
    host = `unix://${join(dir, 'tls-a.sock')}`;
    await swarmd([
      `listen tls://127.0.0.1:${port} --tlscert ${f('server.pem', c.serverCert)} --tlskey ${f('server-key.pem', c.serverKey)} --tlscacert ${ca}`,
      'simulator nodeT',
    ]);
    await swarmd([
      `dockerserver ${host}`,
      `remote tls://127.0.0.1:${port} --tlscert ${f('client.pem', c.clientCert)} --tlskey ${f('client-key.pem', c.clientKey)} --tlscacert ${ca}`,
    ]);
  });

  it('runs a container through both processes', async () => {
    expect(await docker(['run', '--rm', 'busybox:local', 'echo', 'over tls'], { host })).toMatchObject({
      code: 0,
      stdout: 'over tls\n',
    });
    expect((await docker(['ps', '-a'], { host })).code).toBe(0);
  });
});
