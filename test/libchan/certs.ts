/** Test-time TLS material: a throwaway CA plus server and client certificates (openssl CLI). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  ca: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** A client certificate from a CA the server does not trust. */
  rogueKey: string;
  rogueCert: string;
}

let cached: TestCerts | undefined;

/** Generates (once per process) a CA, a server cert for localhost/127.0.0.1 and a client cert. */
export function testCerts(): TestCerts {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'libchan-certs-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    const ca = (name: string) => {
      ssl(
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
      );
    };
    ca('ca');
    ca('rogue-ca');
    writeFileSync(
      join(dir, 'server.ext'),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
    );
    writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
    const leaf = (name: string, issuer: string, ext: string) => {
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
        `${issuer}.crt`,
        '-CAkey',
        `${issuer}.key`,
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        ext,
        '-out',
        `${name}.crt`,
      );
    };
    leaf('server', 'ca', 'server.ext');
    leaf('client', 'ca', 'client.ext');
    leaf('rogue', 'rogue-ca', 'client.ext');
    const r = (f: string) => readFileSync(join(dir, f), 'utf8');
    cached = {
      ca: r('ca.crt'),
      serverKey: r('server.key'),
      serverCert: r('server.crt'),
      clientKey: r('client.key'),
      clientCert: r('client.crt'),
      rogueKey: r('rogue.key'),
      rogueCert: r('rogue.crt'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
