/**
 * Throwaway TLS material for tests (openssl): a CA, a server certificate for 127.0.0.1/localhost and
 * a client certificate, laid out like DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem for the client).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the generated files; `dir` doubles as a client DOCKER_CERT_PATH. */
export interface TlsMaterial {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** `cert.pem` / `key.pem`: the client pair. */
  clientCert: string;
  clientKey: string;
}

function ssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** Generates a CA, a server pair (SAN 127.0.0.1, localhost) and a client pair in a new /tmp/sw-tls-* dir. */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync('/tmp/sw-tls-');
  ssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=sw-test-ca',
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'sw-test-client'],
  ] as const) {
    const key = name === 'client' ? 'key.pem' : 'server-key.pem';
    const cert = name === 'client' ? 'cert.pem' : 'server-cert.pem';
    ssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', key, '-out', `${name}.csr`],
      dir,
    );
    ssl(
      [
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
        cert,
      ],
      dir,
    );
  }
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server-cert.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'cert.pem'),
    clientKey: join(dir, 'key.pem'),
  };
}
