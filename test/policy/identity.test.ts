/**
 * Identity per dockerserver listener, against a real dockerd: one `dockerserver --tlsverify → policy
 * --own → dockerclient` chain, two clients whose certificates (one CA) name them alice and bob. Each
 * sees and touches only its own containers (list, inspect 404, rm 404, exec over the hijacked
 * upgrade), and nothing a client sends — identity-looking headers, query parameters, body fields, a
 * claimed owner label — makes it anyone else. A listener that names nobody in front of `policy --own`
 * refuses with 403 naming the fix; a fixed `dockerserver --identity` names every client of its socket.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/backends/chain.js';
import { parseServerArgs } from '../../src/backends/docker/http-listen.js';
import { OWNER_LABEL } from '../../src/backends/policy/ownership.js';
import { systemClock } from '../../src/clock.js';
import {
  type Daemon,
  docker,
  freePort,
  makeTlsMaterial,
  startDaemons,
  stopDaemons,
  type TlsMaterial,
} from '../harness/index.js';
import { api, container, jsonAnswer, policyChain } from './support.js';

/** A client certificate with common name `cn`, signed by `tls`'s CA, laid out as a DOCKER_CERT_PATH. */
function clientCertDir(tls: TlsMaterial, cn: string): string {
  const dir = join(tls.dir, `client-${cn.replace(/\W/g, '_')}`);
  mkdirSync(dir);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-subj', `/CN=${cn}`, '-keyout', 'key.pem', '-out', 'cert.csr'],
  );
  ssl(
    ...['x509', '-req', '-in', 'cert.csr', '-CA', tls.ca, '-CAkey', join(tls.dir, 'ca-key.pem')],
    ...['-CAcreateserial', '-days', '2', '-extfile', 'client.ext', '-out', 'cert.pem'],
  );
  copyFileSync(tls.ca, join(dir, 'ca.pem'));
  return dir;
}

interface Client {
  name: string;
  dir: string;
  /** One HTTPS call to the chain with this client's certificate. */
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: unknown }>;
  /** The docker CLI as this client. */
  cli(args: string[]): ReturnType<typeof docker>;
}

let daemon: Daemon;
let tls: TlsMaterial;
let port: number;
let chain: Chain;
let alice: Client;
let bob: Client;
let strangersId: string;

function client(name: string, dir: string): Client {
  const pem = (f: string) => readFileSync(join(dir, f));
  return {
    name,
    dir,
    call: (method, path, opts = {}) =>
      new Promise((resolve, reject) => {
        const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
        const headers: Record<string, string | number> = { ...opts.headers };
        if (data)
          Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': data.length });
        const r = request(
          {
            host: '127.0.0.1',
            port,
            method,
            path,
            headers,
            ca: pem('ca.pem'),
            cert: pem('cert.pem'),
            key: pem('key.pem'),
            servername: 'localhost',
            agent: false,
          },
          (m) => jsonAnswer(m, resolve),
        );
        r.on('error', reject);
        r.end(data);
      }),
    cli: (args) =>
      docker(args, {
        host: `tcp://127.0.0.1:${port}`,
        env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
        timeoutMs: 60_000,
      }),
  };
}

const ids = async (c: Client, query = '') =>
  ((await c.call('GET', `/containers/json?all=1${query}`)).body as { Id: string }[]).map((x) => x.Id);

beforeAll(async () => {
  [daemon] = (await startDaemons(1)) as [Daemon];
  tls = makeTlsMaterial();
  port = await freePort();
  chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
  await chain.start([
    `dockerserver tcp://127.0.0.1:${port} --tlscert ${tls.serverCert} --tlskey ${tls.serverKey} --tlscacert ${tls.ca} --tlsverify`,
    'policy --own',
    `dockerclient unix://${daemon.socket}`,
  ]);
  alice = client('alice', clientCertDir(tls, 'alice'));
  bob = client('bob', clientCertDir(tls, 'bob'));
  strangersId = await container(daemon.socket, 'running');
}, 180_000);
afterAll(async () => {
  await chain?.stop();
  if (daemon) await stopDaemons([daemon]);
  if (tls) rmSync(tls.dir, { recursive: true, force: true });
});

describe('identity from verified TLS client certificates (dockerserver --tlsverify → policy --own)', () => {
  let alicesId: string;
  let bobsId: string;

  it('each client’s containers carry its certificate’s CN as owner, whatever the client claims', async () => {
    // alice claims bob's ownership in every place a client could: headers, query, body
    const spoof = { 'X-Swarmd-Identity': 'bob', Identity: 'bob', 'X-Registry-Auth': 'bob' };
    const created = await alice.call('POST', '/v1.41/containers/create?name=alices&identity=bob', {
      body: {
        Image: 'busybox:local',
        Cmd: ['sleep', '60'],
        identity: 'bob',
        Labels: { [OWNER_LABEL]: 'bob' },
        HostConfig: { NetworkMode: 'none' },
      },
      headers: spoof,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    alicesId = (created.body as { Id: string }).Id;
    expect((await alice.call('POST', `/containers/${alicesId}/start`)).status).toBe(204);
    const run = await bob.cli(['run', '-d', '--network', 'none', 'busybox:local', 'sleep', '60']);
    expect(run.code, run.stderr).toBe(0);
    bobsId = run.stdout.trim();
    const owner = async (id: string) =>
      (
        (await api(daemon.socket, 'GET', `/containers/${id}/json`)).body as {
          Config: { Labels: Record<string, string> };
        }
      ).Config.Labels[OWNER_LABEL];
    expect(await owner(alicesId)).toBe('alice');
    expect(await owner(bobsId)).toBe('bob');
  });

  it('lists show each client only its own containers, headers or not', async () => {
    expect(await ids(alice)).toEqual([alicesId]);
    expect(await ids(bob)).toEqual([bobsId]);
    const asAlice = await bob.call('GET', '/containers/json?all=1&identity=alice', {
      headers: { 'X-Swarmd-Identity': 'alice', Identity: 'alice' },
    });
    expect((asAlice.body as { Id: string }[]).map((x) => x.Id)).toEqual([bobsId]);
    const ps = await alice.cli(['ps', '-aq', '--no-trunc']);
    expect(ps.stdout.trim().split('\n')).toEqual([alicesId]);
    // the daemon itself has all three
    const all = (await api(daemon.socket, 'GET', '/containers/json?all=1')).body as { Id: string }[];
    expect(all.map((x) => x.Id)).toEqual(expect.arrayContaining([alicesId, bobsId, strangersId]));
  });

  it('inspect and rm of another’s container answer 404, with or without a spoofing header', async () => {
    const none: Record<string, string> = {};
    for (const headers of [none, { 'X-Swarmd-Identity': 'alice', Identity: 'alice' }]) {
      for (const [method, path] of [
        ['GET', `/containers/${alicesId}/json`],
        ['GET', '/containers/alices/json'],
        ['DELETE', `/containers/${alicesId}?force=1`],
        ['GET', `/containers/${strangersId}/json`],
      ] as const) {
        const r = await bob.call(method, path, { headers });
        expect(r.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(404);
        expect((r.body as { message: string }).message).toMatch(/^No such container: /);
      }
    }
    const rm = await bob.cli(['rm', alicesId]);
    expect(rm.code).not.toBe(0);
    expect(rm.stderr).toContain('No such container');
    // `rm -f` of a container the daemon does not have exits 0 (the CLI ignores "no such"): it must
    // still leave alice's container alone
    await bob.cli(['rm', '-f', alicesId]);
    expect((await api(daemon.socket, 'GET', `/containers/${alicesId}/json`)).status).toBe(200);
  });

  it('exec (a hijacked upgrade) carries the identity too: the owner runs it, the other gets 404', async () => {
    const mine = await alice.cli(['exec', alicesId, 'echo', 'hi']);
    expect(mine, mine.stderr).toMatchObject({ stdout: 'hi\n', code: 0 });
    const theirs = await bob.cli(['exec', alicesId, 'echo', 'hi']);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stderr).toContain('No such container');
  });

  it('the owner removes its own container', async () => {
    expect((await alice.call('DELETE', `/containers/${alicesId}?force=1`)).status).toBe(204);
    expect((await bob.call('DELETE', `/containers/${bobsId}?force=1`)).status).toBe(204);
    expect(await ids(alice)).toEqual([]);
  });

  it('a certificate whose CN cannot name an owner is refused with 403 saying why', async () => {
    const odd = client('odd', clientCertDir(tls, 'CI Runner'));
    const r = await odd.call('GET', '/containers/json');
    expect(r.status).toBe(403);
    expect((r.body as { message: string }).message).toMatch(
      /denied by policy rule identity: the client's identity "CI Runner" cannot name an owner/,
    );
  });
});

describe('listeners that name nobody, or everybody alike', () => {
  it('policy --own behind a listener with no identity refuses with 403 naming the fix', async () => {
    const anon = await policyChain(daemon.socket, '--own');
    try {
      const r = await api(anon.socket, 'GET', '/containers/json', undefined);
      expect(r.status).toBe(403);
      expect((r.body as { message: string }).message).toContain(
        'container.list denied by policy rule identity: with --own every request needs an identity and this one has none: name the clients at the front door (dockerserver … --identity NAME, or --tlsverify',
      );
    } finally {
      await anon.chain.stop();
    }
  });

  it('dockerserver --identity names every client of its socket; it wins over policy --identity', async () => {
    const socket = join(mkdtempSync('/tmp/swp-'), 's.sock');
    const fixed = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
    await fixed.start([
      `dockerserver unix://${socket} --identity carol`,
      'policy --own --identity fallback',
      `dockerclient unix://${daemon.socket}`,
    ]);
    try {
      const id = await container(socket, 'created');
      const c = (await api(daemon.socket, 'GET', `/containers/${id}/json`)).body as {
        Config: { Labels: Record<string, string> };
      };
      expect(c.Config.Labels[OWNER_LABEL]).toBe('carol');
      const listed = (await api(socket, 'GET', '/containers/json?all=1')).body as { Id: string }[];
      expect(listed.map((x) => x.Id)).toEqual([id]);
      expect((await api(socket, 'DELETE', `/containers/${id}`)).status).toBe(204);
    } finally {
      await fixed.stop();
    }
  });
});

describe('dockerserver --identity arguments', () => {
  it('takes a usable name, and refuses others and a second source of names', () => {
    expect(parseServerArgs(['unix:///tmp/x.sock', '--identity', 'ci-1']).identity).toEqual({
      kind: 'fixed',
      name: 'ci-1',
    });
    expect(() => parseServerArgs(['unix:///tmp/x.sock', '--identity', 'a b'])).toThrow(
      /--identity "a b": use letters, digits/,
    );
    const t = tls;
    const verified = ['tcp://127.0.0.1:1', '--tlscert', t.serverCert, '--tlskey', t.serverKey];
    verified.push('--tlscacert', t.ca, '--tlsverify');
    expect(parseServerArgs(verified).identity).toEqual({ kind: 'certificate' });
    expect(() => parseServerArgs([...verified, '--identity', 'ci'])).toThrow(
      /--identity and --tlsverify both name the clients/,
    );
    expect(parseServerArgs(['unix:///tmp/x.sock']).identity).toBeUndefined();
  });
});
