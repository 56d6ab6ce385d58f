/**
 * Throwaway TLS material for tests — the one certificate generator of the test suite (openssl CLI):
 * a CA, a server certificate for 127.0.0.1/localhost, a client certificate, and a "rogue" client
 * certificate from a second CA nobody trusts. Laid out like DOCKER_CERT_PATH (ca.pem, cert.pem,
 * key.pem for the client), so real dockerd daemons and the docker CLI take the paths as they are; the
 * PEM texts are there too for in-process TLS (libchan transports). Keys are EC P-256: generating them
 * takes milliseconds, where RSA-2048 keys took a good part of a second each on this machine.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One value per generated file: paths in a {@link TlsMaterial}, PEM texts in its `pem`. */
export interface TlsPems {
  ca: string;
  serverCert: string;
  serverKey: string;
  /** `cert.pem` / `key.pem`: the client pair. */
  clientCert: string;
  clientKey: string;
  /** A client pair from a second CA that nothing trusts. */
  rogueCert: string;
  rogueKey: string;
}

/** Paths of the generated files; `dir` doubles as a client DOCKER_CERT_PATH. */
export interface TlsMaterial extends TlsPems {
  dir: string;
  /** The same files' contents. */
  pem: TlsPems;
}

/** The client certificate's common name (what a server reports as its peer). */
export const CLIENT_CN = 'sw-test-client';

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Generates a fresh CA, server pair (SAN 127.0.0.1, localhost), client pair and rogue client pair in
 * a new /tmp/sw-tls-* dir. The caller removes `dir` when done.
 */
export function makeTlsMaterial(): TlsMaterial {
  const dir = mkdtempSync('/tmp/sw-tls-');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (cn: string, key: string, cert: string) =>
    ssl('req', '-x509', ...EC_KEY, '-days', '2', '-subj', `/CN=${cn}`, '-keyout', key, '-out', cert);
  const leaf = (cn: string, key: string, cert: string, issuer: string, ext: string) => {
    ssl('req', ...EC_KEY, '-subj', `/CN=${cn}`, '-keyout', key, '-out', `${cert}.csr`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${cert}.csr`,
      '-CA',
      `${issuer}.pem`,
      '-CAkey',
      `${issuer}-key.pem`,
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      cert,
    );
  };
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ca('sw-test-ca', 'ca-key.pem', 'ca.pem');
  ca('sw-rogue-ca', 'rogue-ca-key.pem', 'rogue-ca.pem');
  leaf('localhost', 'server-key.pem', 'server-cert.pem', 'ca', 'server.ext');
  leaf(CLIENT_CN, 'key.pem', 'cert.pem', 'ca', 'client.ext');
  leaf('sw-rogue-client', 'rogue-key.pem', 'rogue-cert.pem', 'rogue-ca', 'client.ext');
  const path = (f: string) => join(dir, f);
  const paths = {
    ca: path('ca.pem'),
    serverCert: path('server-cert.pem'),
    serverKey: path('server-key.pem'),
    clientCert: path('cert.pem'),
    clientKey: path('key.pem'),
    rogueCert: path('rogue-cert.pem'),
    rogueKey: path('rogue-key.pem'),
  };
  const pem = Object.fromEntries(
    Object.entries(paths).map(([k, p]) => [k, readFileSync(p, 'utf8')]),
  ) as unknown as TlsPems;
  return { dir, ...paths, pem };
}

let shared: TlsPems | undefined;

/**
 * The PEM texts of one {@link makeTlsMaterial} per test process, for in-process TLS that needs no
 * files: made on first use, files removed at once (a worker killed by the test runner would never
 * run an exit hook to remove them later).
 */
export function sharedTlsPems(): TlsPems {
  if (shared) return shared;
  const made = makeTlsMaterial();
  rmSync(made.dir, { recursive: true, force: true });
  shared = made.pem;
  return shared;
}
