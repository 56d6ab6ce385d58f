/**
 * Where dockerserver listens: argument checks, the per-user default socket, stale-socket handling
 * (removed only when dead), and TLS with client verification against the real docker CLI.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSocketPath, parseServerArgs } from '../../src/backends/docker/http-listen.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { docker, raw, reply, responder, startServer, tempDir } from './helpers.js';

const t = tempDir();
afterAll(() => t.cleanup());

function invalidMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isSwarmError(err, ErrorCode.InvalidArgument)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected an InvalidArgument error');
}

describe('arguments', () => {
  it('refuses plain TCP off loopback unless --insecure, naming the fix', () => {
    const msg = invalidMessage(() => parseServerArgs(['tcp://0.0.0.0:2375']));
    expect(msg).toMatch(/refusing to serve the Docker API unencrypted on tcp:\/\/0\.0\.0\.0:2375/);
    expect(msg).toMatch(/--tlsverify/);
    expect(msg).toMatch(/--insecure/);
    expect(parseServerArgs(['tcp://0.0.0.0:2375', '--insecure']).address).toEqual({
      kind: 'tcp',
      host: '0.0.0.0',
      port: 2375,
    });
    expect(parseServerArgs(['tcp://127.0.0.1:2375']).insecure).toBe(false);
  });

  it('checks TLS flags and unknown options', () => {
    expect(invalidMessage(() => parseServerArgs(['--tlsverify']))).toMatch(/--tlsverify needs --tlscert/);
    expect(invalidMessage(() => parseServerArgs(['--tlscert', '/x']))).toMatch(/go together/);
    expect(invalidMessage(() => parseServerArgs(['--tlscert=/nope', '--tlskey=/nope']))).toMatch(
      /cannot read --tlscert \/nope/,
    );
    expect(invalidMessage(() => parseServerArgs(['--bogus']))).toMatch(/unknown option --bogus/);
    expect(invalidMessage(() => parseServerArgs(['http://x']))).toMatch(/unsupported address/);
  });

  it('defaults to a per-user socket', () => {
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/swarmd.sock');
    expect(defaultSocketPath({})).toMatch(/\/swarmd-\d+\.sock$/);
    expect(parseServerArgs([]).address).toEqual({ kind: 'unix', path: defaultSocketPath() });
  });
});

describe('unix socket files', () => {
  it('replaces a stale socket nobody answers on, and prints where it serves', async () => {
    const path = `${t.dir}/stale.sock`;
    // Bound but never listening: the file exists and connecting is refused, like after a crash.
    execFileSync('python3', [
      '-c',
      `import socket; socket.socket(socket.AF_UNIX).bind(${JSON.stringify(path)})`,
    ]);
    expect(existsSync(path)).toBe(true);
    const server = await startServer(responder({}), [`unix://${path}`]);
    expect(server.describe()).toBe(
      `serving Docker API on unix://${path}; try: docker -H unix://${path} version`,
    );
    expect((await raw(path, 'GET', '/_ping')).body).toBe('OK');
    await server.stop();
    expect(existsSync(path)).toBe(false);
  });

  it('leaves a live socket and a non-socket file alone', async () => {
    const live = `${t.dir}/live.sock`;
    const other: Server = createServer((s) => {
      s.on('error', () => {});
      s.end('other');
    });
    await new Promise<void>((r) => other.listen(live, r));
    await expect(startServer(responder({}), [`unix://${live}`])).rejects.toThrow(
      /another server is already listening on unix:\/\/.*live\.sock/,
    );
    expect(existsSync(live)).toBe(true);
    await new Promise((r) => other.close(r));

    const file = `${t.dir}/plain-file`;
    writeFileSync(file, 'keep me');
    await expect(startServer(responder({}), [`unix://${file}`])).rejects.toThrow(
      /exists and is not a socket/,
    );
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });
});

describe('TLS', () => {
  const pki = `${t.dir}/pki`;
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  beforeAll(() => {
    execFileSync('mkdir', ['-p', pki]);
    ssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
    );
    for (const [who, usage, san] of [
      ['server', 'serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
      ['client', 'clientAuth', 'subjectAltName=DNS:client'],
    ] as const) {
      writeFileSync(`${pki}/${who}.ext`, `${san}\nextendedKeyUsage=${usage}\n`);
      ssl('req', ...ec, '-keyout', `${who}-key.pem`, '-out', `${who}.csr`, '-subj', `/CN=${who}`);
      ssl(
        'x509',
        '-req',
        '-in',
        `${who}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-out',
        `${who}.pem`,
        '-days',
        '1',
        '-extfile',
        `${who}.ext`,
      );
    }
  });

  it('--tlsverify serves the CLI with a client certificate and rejects it without one', async () => {
    const down = responder({ version: (m) => reply(m, 'set', { status: 200, body: { Version: 'tls-ok' } }) });
    const server = await startServer(down, [
      'tcp://127.0.0.1:0',
      '--tlsverify',
      `--tlscacert=${pki}/ca.pem`,
      `--tlscert=${pki}/server.pem`,
      `--tlskey=${pki}/server-key.pem`,
    ]);
    try {
      const addr = server.address;
      if (addr?.kind !== 'tcp') throw new Error('expected tcp');
      const host = `tcp://127.0.0.1:${addr.port}`;
      expect(server.describe()).toContain(`${host} (TLS)`);
      const ca = `--tlscacert=${pki}/ca.pem`;
      const ok = await docker(host, [
        '--tlsverify',
        ca,
        `--tlscert=${pki}/client.pem`,
        `--tlskey=${pki}/client-key.pem`,
        'version',
        '--format',
        '{{.Server.Version}}',
      ]);
      expect(ok).toMatchObject({ code: 0, stdout: 'tls-ok\n' });
      const anonymous = await docker(host, ['--tlsverify', ca, 'version', '--format', '{{.Server.Version}}']);
      expect(anonymous.code).not.toBe(0);
      expect(anonymous.stdout).not.toContain('tls-ok');
    } finally {
      await server.stop();
    }
  });
});

describe('stage definition', () => {
  it('documents itself and builds through create()', () => {
    expect(dockerserverStage.name).toBe('dockerserver');
    expect(dockerserverStage.usage).toMatch(/^dockerserver /);
    expect(() => parseServerArgs(dockerserverStage.example.split(' ').slice(1))).not.toThrow();
  });
});
