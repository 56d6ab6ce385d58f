import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { docker, freePort, makeTlsMaterial, type SwarmdProcess, startSwarmd } from '../harness/index.js';

// A chain split across two real swarmd processes: front (dockerserver → remote) and back
// (listen → simulator), driven by the real docker CLI. The ws/tcp/tls link and its reconnects are covered by
// test/link/two-processes.test.ts; this file adds wss with mutual TLS, with and without a client certificate.

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
