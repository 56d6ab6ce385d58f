import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/daemons.js';
import { docker } from '../harness/docker-cli.js';
import { makeTlsMaterial } from '../harness/tls.js';
import { type SwarmdProcess, startSwarmd, until } from './support.js';

// A chain split across two real swarmd processes: front (dockerserver → remote) and back
// (listen → simulator), driven by the real docker CLI.

const dir = mkdtempSync(join(tmpdir(), 'swd-split-'));
const running: SwarmdProcess[] = [];
afterAll(async () => {
  for (const p of running.splice(0)) p.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function swarmd(args: string[]): Promise<SwarmdProcess> {
  const p = await startSwarmd(args);
  running.push(p);
  return p;
}

describe('listen/remote between two swarmd processes', () => {
  it('over ws with a token: serves docker, fails fast while the back is down, relinks when it returns', async () => {
    const port = await freePort();
    const sock = join(dir, 'ws.sock');
    const host = `unix://${sock}`;
    const listenArg = `listen ws://127.0.0.1:${port} --token s3cret`;
    let back = await swarmd([listenArg, 'simulator nodeB']);
    const front = await swarmd([`dockerserver ${host}`, `remote ws://127.0.0.1:${port} --token s3cret`]);
    expect(front.stderr()).toMatch(/stage remote#2 up: forwarding to ws:\/\/127\.0\.0\.1:\d+ \(linked\)/);

    const hello = await docker(['run', '--rm', 'busybox:local', 'echo', 'across two processes'], { host });
    expect(hello).toMatchObject({ code: 0, stdout: 'across two processes\n' });
    expect((await docker(['info', '--format', '{{.Name}}'], { host })).stdout.trim()).toBe('nodeB');

    // The back end dies: requests fail with an error, not silence, and the front keeps running.
    back.proc.kill('SIGKILL');
    await back.exited;
    await until(
      async () => (await docker(['version', '--format', '{{.Server.Version}}'], { host })).code !== 0,
      5_000,
    );
    const down = await docker(['ps'], { host });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/not linked to ws:\/\/127\.0\.0\.1|link to ws:\/\/127\.0\.0\.1.* lost/);
    expect(front.proc.exitCode).toBeNull();

    // It comes back on the same address: the remote stage redials with backoff.
    back = await swarmd([listenArg, 'simulator nodeB2']);
    await until(
      async () => (await docker(['info', '--format', '{{.Name}}'], { host })).stdout.trim() === 'nodeB2',
      15_000,
    );
    expect(await front.stop()).toBe(0);
    expect(await back.stop()).toBe(0);
  }, 120_000);

  it('over wss with mutual TLS: a client certificate is required', async () => {
    const tls = makeTlsMaterial();
    try {
      const port = await freePort();
      const url = `wss://127.0.0.1:${port}`;
      const back = await swarmd([
        `listen ${url} --tlscert ${tls.serverCert} --tlskey ${tls.serverKey} --tlscacert ${tls.ca}`,
        'simulator tlsnode',
      ]);
      const sock = join(dir, 'wss.sock');
      const host = `unix://${sock}`;
      const anonSock = join(dir, 'anon.sock');
      const [front, anon] = await Promise.all([
        swarmd([
          `dockerserver ${host}`,
          `remote ${url} --tlscert ${tls.clientCert} --tlskey ${tls.clientKey} --tlscacert ${tls.ca}`,
        ]),
        // Without a client certificate the link never comes up; the front answers with the reason.
        swarmd([`dockerserver unix://${anonSock}`, `remote ${url} --tlscacert ${tls.ca}`]),
      ]);
      const run = await docker(['run', '--rm', 'busybox:local', 'echo', 'over mutual tls'], { host });
      expect(run).toMatchObject({ code: 0, stdout: 'over mutual tls\n' });

      expect(anon.stderr()).toMatch(/not linked yet, retrying/);
      const refused = await docker(['ps'], { host: `unix://${anonSock}` });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/not linked to wss:/);

      for (const p of [anon, front, back]) expect(await p.stop()).toBe(0);
    } finally {
      rmSync(tls.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
