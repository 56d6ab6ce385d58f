/**
 * The admin server in-process, over a real chain (dockerserver-less: `aggregate` of two simulators) and
 * real HTTP: flag parsing and the exposure rule, the token (bearer, cookie via /?token=), /readyz
 * following node health, the tree snapshot, the SSE stream, and inspectTree for library users.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get, request as httpRequest } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorsOf, inspectTree } from '../../src/actors/inspection.js';
import { Chain } from '../../src/backends/chain.js';
import { type Admin, RequestStats, startAdmin, takeAdminArgs } from '../../src/cli/admin/index.js';
import { type ActorView, AdminModel, type AdminView } from '../../src/cli/admin/model.js';
import { systemClock } from '../../src/clock.js';
import { ErrorCode, SwarmError } from '../../src/errors.js';
import { sharedTlsPems } from '../harness/tls.js';
import { until } from '../harness/until.js';
import { recorder } from '../services/support.js';

const log = pino({ level: 'silent' });
const TOKEN = '0123456789abcdef0123';

describe('--admin flags', () => {
  it('takes its flags out of argv and leaves the rest to swarmd', () => {
    const { rest, admin } = takeAdminArgs([
      '--admin',
      'http://127.0.0.1:9100',
      '--log-level',
      'warn',
      'simulator',
    ]);
    expect(rest).toEqual(['--log-level', 'warn', 'simulator']);
    expect(admin?.address).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 9100 });
    expect(takeAdminArgs(['simulator']).admin).toBeUndefined();
    expect(takeAdminArgs(['--admin=unix:///tmp/a.sock']).admin?.address).toEqual({
      kind: 'unix',
      path: '/tmp/a.sock',
    });
  });

  it('refuses an admin listener off loopback without a token, a short token, and stray flags', () => {
    const fails = (argv: string[], text: RegExp) => {
      let caught: unknown;
      try {
        takeAdminArgs(argv);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(SwarmError);
      expect((caught as SwarmError).code).toBe(ErrorCode.InvalidArgument);
      expect((caught as SwarmError).message).toMatch(text);
    };
    fails(['--admin', 'http://0.0.0.0:9100'], /open to anyone.*--admin-token-file/);
    fails(['--admin', 'http://127.0.0.1:9100', '--admin-token', 'short'], /shorter than 16 bytes/);
    fails(['--admin-token', TOKEN], /needs --admin <url>/);
    fails(['--admin', 'https://127.0.0.1:9100'], /needs --admin-tlscert/);
    fails(['--admin', 'ftp://x'], /use http:\/\/127\.0\.0\.1:PORT/);
    const dir = mkdtempSync(join(tmpdir(), 'admin-args-'));
    try {
      writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
      const { admin } = takeAdminArgs([
        '--admin',
        'http://0.0.0.0:9100',
        '--admin-token-file',
        join(dir, 'token'),
      ]);
      expect(admin?.token).toBe(TOKEN);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the admin server', () => {
  let chain: Chain;
  let admin: Admin;
  const stats = new RequestStats();

  beforeAll(async () => {
    chain = new Chain({ log, clock: systemClock, observer: stats.observer });
    await chain.start(['aggregate "simulator n1" "simulator n2"']);
    admin = await startAdmin({
      config: { address: { kind: 'tcp', host: '127.0.0.1', port: 0 }, token: TOKEN },
      chain,
      stats,
      clock: systemClock,
      log,
    });
  });
  afterAll(async () => {
    await admin?.close();
    await chain?.stop();
  });

  it('needs the token for everything but the probes', async () => {
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${admin.url}/api/tree`)).status).toBe(401);
    expect((await fetch(`${admin.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );
    const ok = await fetch(`${admin.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    // A browser opens /?token=… once and gets a cookie.
    const login = await fetch(`${admin.url}/?token=${TOKEN}`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await fetch(`${admin.url}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/app.js">');
  });

  it('serves the tree with per-stage request counts, and /readyz once a node is healthy', async () => {
    const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
    await until(async () => (await fetch(`${admin.url}/readyz`)).status === 200, 10_000, '/readyz');
    const ret = recorder();
    chain.head?.send({ verb: 'ls', args: { op: 'container.list', query: {} }, ret });
    await until(() => ret.closed, 5000, 'the list reply');
    const view = (await (await fetch(`${admin.url}/api/tree`, auth)).json()) as AdminView;
    expect(view.tree.id).toBe('chain');
    const agg = view.tree.children[0];
    expect(agg?.id).toBe('aggregate#1');
    const counted = stats.stages.get('aggregate#1')?.ops.get('container.list');
    expect(counted?.requests).toBe(1);
    expect(counted?.statuses['2xx']).toBe(1);
  });

  it('pushes samples over SSE', async () => {
    const events: AdminView[] = [];
    const req = get(`${admin.url}/api/events`, { headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let buf = '';
      res.on('data', (d: Buffer) => {
        buf += d.toString();
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data) events.push(JSON.parse(data.slice(6)) as AdminView);
        }
      });
    });
    try {
      await until(() => events.length >= 3, 10_000, 'three SSE samples');
      expect((events[2] as AdminView).time).toBeGreaterThan((events[0] as AdminView).time);
    } finally {
      req.destroy();
    }
  });

  it('gives library users the same tree from the runtime (inspectTree)', () => {
    const tree = inspectTree(chain.supervisor);
    const ids = actorsOf(tree).map((a) => a.id);
    expect(ids).toEqual(expect.arrayContaining(['aggregate#1', 'node1', 'node2']));
    const node = actorsOf(tree).find((a) => a.id === 'node1');
    expect(node?.path).toBe('chain/aggregate#1/children/node1/node1');
    expect(node?.mailboxCapacity).toBe(1024);
    expect(node?.received).toBeGreaterThan(0);
  });
});

describe('the admin server over https and on a unix socket', () => {
  let chain: Chain;
  const stats = new RequestStats();
  beforeAll(async () => {
    chain = new Chain({ log, clock: systemClock, observer: stats.observer });
    await chain.start(['simulator n1']);
  });
  afterAll(() => chain?.stop());

  it('serves https with --admin-tlscert/--admin-tlskey (the server certificate verified)', async () => {
    const pems = sharedTlsPems();
    const admin = await startAdmin({
      config: {
        address: { kind: 'tcp', host: '127.0.0.1', port: 0 },
        tls: { cert: pems.serverCert, key: pems.serverKey },
      },
      chain,
      stats,
      clock: systemClock,
      log,
    });
    try {
      expect(admin.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        httpsGet(`${admin.url}/readyz`, { ca: pems.ca }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => {
            text += d.toString();
          });
          res.on('end', () => resolve(`${res.statusCode} ${text}`));
        }).on('error', reject);
      });
      expect(body).toBe('200 ready\n');
    } finally {
      await admin.close();
    }
  });

  it('serves a unix socket (mode 0660) and never takes over a live one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admin-unix-'));
    const path = join(dir, 'a.sock');
    const config = { address: { kind: 'unix' as const, path } };
    const admin = await startAdmin({ config, chain, stats, clock: systemClock, log });
    try {
      expect(admin.url).toBe(`unix://${path}`);
      expect(statSync(path).mode & 0o777).toBe(0o660);
      const status = await new Promise<number | undefined>((resolve, reject) => {
        httpRequest({ socketPath: path, path: '/healthz' }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      await expect(startAdmin({ config, chain, stats, clock: systemClock, log })).rejects.toThrow(
        /another server answers/,
      );
    } finally {
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('listen and remote links in the tree', () => {
  it("shows a listen stage's sessions and a remote stage's link", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'admin-link-'));
    const sock = join(dir, 'l.sock');
    const back = new Chain({ log, clock: systemClock });
    const front = new Chain({ log, clock: systemClock });
    try {
      await back.start([`listen unix://${sock}`, 'simulator n1']);
      await front.start([`remote unix://${sock}`]);
      const backModel = new AdminModel(back, new RequestStats(), systemClock);
      const frontModel = new AdminModel(front, new RequestStats(), systemClock);
      const ret = recorder();
      front.head?.send({ verb: 'ls', args: { op: 'container.list', query: {} }, ret });
      await until(() => ret.closed, 5000, 'the list reply over the link');
      const remote = actorsOf(frontModel.tick().tree as never).find((a) => a.id === 'remote#1') as ActorView;
      expect(remote.link).toMatchObject({ kind: 'remote', state: 'up', inFlight: 0 });
      const listen = actorsOf(backModel.tick().tree as never).find((a) => a.id === 'listen#1') as ActorView;
      expect(listen.link).toMatchObject({ kind: 'listen', sessions: 1 });
      // The request went out over the remote's session and came in on the listen's.
      expect(remote.link?.traffic?.messagesOut).toBeGreaterThanOrEqual(1);
      expect(listen.link?.traffic?.messagesIn).toBeGreaterThanOrEqual(1);
    } finally {
      await front.stop();
      await back.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
