/**
 * Issue 10 item 5: `remote tls://` verified the server certificate against "localhost" whatever the
 * URL said, so a correct certificate for 127.0.0.2 was rejected and a localhost certificate presented
 * by 127.0.0.2 accepted. Now SNI and verification use the URL's host (IP SANs for addresses).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import { type Session, tls } from '../../src/libchan/index.js';
import { makeTlsMaterial } from '../harness/tls.js';
import { ctx } from '../link/support.js';

const m = makeTlsMaterial();
afterAll(() => rmSync(m.dir, { recursive: true, force: true }));

/** A server certificate from the test CA for `san` only (e.g. `IP:127.0.0.2`). */
function leaf(name: string, san: string): { cert: string; key: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: m.dir, stdio: 'pipe' });
  writeFileSync(join(m.dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`);
  ssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  ssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca-key.pem',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
  return {
    cert: readFileSync(join(m.dir, `${name}.pem`), 'utf8'),
    key: readFileSync(join(m.dir, `${name}.key`), 'utf8'),
  };
}

async function serve(host: string, pair: { cert: string; key: string }) {
  const sessions: Session[] = [];
  const l = await tls.listen({ host, port: 0, tls: { ...pair } }, (s) => void sessions.push(s));
  const port = Number(l.address.split(':').pop());
  return { l, port };
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers) await c();
});

describe('tls client verification follows the URL host', () => {
  it('accepts a certificate for 127.0.0.2 when dialling 127.0.0.2', async () => {
    const { l, port } = await serve('127.0.0.2', leaf('ip2', 'IP:127.0.0.2'));
    closers.push(() => l.close());
    const s = await tls.connect({ host: '127.0.0.2', port, tls: { ca: m.pem.ca } });
    await s.close();
  });

  it('rejects a localhost certificate presented by 127.0.0.2', async () => {
    const { l, port } = await serve('127.0.0.2', { cert: m.pem.serverCert, key: m.pem.serverKey });
    closers.push(() => l.close());
    await expect(tls.connect({ host: '127.0.0.2', port, tls: { ca: m.pem.ca } })).rejects.toThrow(
      /IP: 127\.0\.0\.2 is not in the cert's list/,
    );
  });

  it('checks a DNS name against DNS SANs (localhost certificate, dialled as localhost)', async () => {
    const { l, port } = await serve('127.0.0.1', leaf('dnsonly', 'DNS:localhost'));
    closers.push(() => l.close());
    const s = await tls.connect({ host: 'localhost', port, tls: { ca: m.pem.ca } });
    await s.close();
    await expect(tls.connect({ host: '127.0.0.1', port, tls: { ca: m.pem.ca } })).rejects.toThrow(
      /127\.0\.0\.1 is not in the cert's list/,
    );
  });

  it('the remote stage links to tls://127.0.0.2 with its certificate and refuses an impostor', async () => {
    const good = await serve('127.0.0.2', leaf('ip2b', 'IP:127.0.0.2'));
    const impostor = await serve('127.0.0.2', { cert: m.pem.serverCert, key: m.pem.serverKey });
    closers.push(
      () => good.l.close(),
      () => impostor.l.close(),
    );
    const remote = async (port: number) => {
      const r = (await remoteStage.create(
        [`tls://127.0.0.2:${port}`, '--tlscacert', m.ca],
        ctx('remote#1'),
      )) as RemoteInstance;
      closers.push(async () => r.stop?.());
      await r.start?.();
      return r.linkState;
    };
    expect(await remote(good.port)).toBe('up');
    expect(await remote(impostor.port)).toBe('down');
  });
});
