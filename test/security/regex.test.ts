/**
 * Security issue 10, item 3: a user's regular expression must not freeze the daemon. Filters and
 * placement rules run on a linear-time engine with Go's syntax, and answer as dockerd 20.10 does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain } from '../../src/backends/chain.js';
import { type Daemon, docker, startDaemons, stopDaemons } from '../harness/index.js';

/** The name of the original report: 30 `a`s then `_`, so `((a)…)+$` fails only after trying every split. */
const NAME = `${'a'.repeat(30)}_`;
/** The reported filter: Go refuses `\2`; JavaScript backtracks on it for about a minute. */
const BACKREF = '^/((a)\\2*)+$';

interface Answer {
  status: number;
  body: string;
}

function http(socket: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = body === undefined ? {} : { 'Content-Type': 'application/json' };
    const req = request({ socketPath: socket, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const listPath = (filters: object) =>
  `/v1.41/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify(filters))}`;
const rowNames = (a: Answer) => (JSON.parse(a.body) as { Names: string[] }[]).map((r) => r.Names[0]).sort();

/** A running in-process chain `dockerserver unix://… → rest…`. */
async function startChain(rest: string[]): Promise<{ socket: string; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rx-'));
  const socket = join(dir, 's.sock');
  const chain = new Chain({ log: pino({ level: 'silent' }) });
  await chain.start([`dockerserver unix://${socket}`, ...rest]);
  return {
    socket,
    async stop() {
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function create(socket: string, name: string, env: string[] = []): Promise<Answer> {
  const body = { Image: 'busybox:local', Cmd: ['true'], Env: env, HostConfig: { NetworkMode: 'none' } };
  return http(socket, 'POST', `/v1.41/containers/create?name=${encodeURIComponent(name)}`, body);
}

/** The list and a `_ping` sent while it is in flight: both must be answered (the old code took ~60 s). */
async function listWithPing(socket: string, filters: object): Promise<{ list: Answer; ping: Answer }> {
  const list = http(socket, 'GET', listPath(filters));
  const ping = http(socket, 'GET', '/_ping');
  return { list: await list, ping: await ping };
}

describe('the reported name filter answers at once', () => {
  it('dockerserver → simulator: [] for the backreference, the right rows for valid patterns', {
    timeout: 5_000,
  }, async () => {
    const c = await startChain(['simulator node1']);
    try {
      expect((await create(c.socket, NAME)).status).toBe(201);
      const { list, ping } = await listWithPing(c.socket, { name: [BACKREF] });
      expect(list).toEqual({ status: 200, body: '[]\n' });
      expect(ping).toMatchObject({ status: 200, body: 'OK' });
      // Valid patterns that backtrack exponentially in JavaScript are linear here.
      expect(rowNames((await listWithPing(c.socket, { name: ['^/(a+)+$'] })).list)).toEqual([]);
      expect(rowNames((await listWithPing(c.socket, { name: ['^/(a|aa)+_$'] })).list)).toEqual([`/${NAME}`]);
      expect(rowNames((await listWithPing(c.socket, { id: ['^(a|a)*$'] })).list)).toEqual([]);
    } finally {
      await c.stop();
    }
  });

  it('dockerserver → aggregate of two simulators: filters and /regex/ placement rules', {
    timeout: 5_000,
  }, async () => {
    const zone = `${'n'.repeat(30)}_`;
    const c = await startChain([`aggregate "simulator a --label zone=${zone}" "simulator b --label zone=z"`]);
    try {
      // A constraint that backtracks exponentially in JavaScript on a node label picks no node, quickly.
      const none = await create(c.socket, 'x1', ['constraint:zone==/^(n+)+$/']);
      expect(none.status).toBe(500);
      expect(JSON.parse(none.body).message).toMatch(/^no node can run this container/);
      const placed = await create(c.socket, NAME, ['constraint:zone==/^(n|nn)+_$/']);
      expect(placed.status).toBe(201);
      const bad = await create(c.socket, 'x2', ['constraint:node==/^((n)\\2*)+$/']);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).message).toBe(
        'invalid placement rule "constraint:node==/^((n)\\2*)+$/": bad regular expression: ' +
          'error parsing regexp: invalid escape sequence: `\\2`',
      );
      const { list, ping } = await listWithPing(c.socket, { name: [BACKREF] });
      expect(list).toEqual({ status: 200, body: '[]\n' });
      expect(ping).toMatchObject({ status: 200, body: 'OK' });
      expect(rowNames((await listWithPing(c.socket, { name: ['^(a|aa)+_$'] })).list)).toEqual([`/${NAME}`]);
      // The `node` filter takes the placement rules' /regex/ form (nodes are node1, node2 by position).
      expect(rowNames((await listWithPing(c.socket, { node: ['/^(node)+1$/'] })).list)).toEqual([`/${NAME}`]);
      expect(rowNames((await listWithPing(c.socket, { node: ['/^node2$/'] })).list)).toEqual([]);
      expect(rowNames((await listWithPing(c.socket, { node: ['/(/'] })).list)).toEqual([]);
    } finally {
      await c.stop();
    }
  });
});

describe('invalid and Go-only patterns answer as a real dockerd 20.10 does', () => {
  let ds: Daemon[] = [];
  let sim: Awaited<ReturnType<typeof startChain>>;
  let agg: Awaited<ReturnType<typeof startChain>>;
  let ids: { real: string; sim: string };

  beforeAll(async () => {
    ds = await startDaemons(1);
    const d = ds[0] as Daemon;
    const made = await docker(['create', '--name', NAME, '--network', 'none', 'busybox:local', 'true'], {
      host: d.host,
    });
    sim = await startChain(['simulator node1']);
    // The aggregate re-applies the filters to what the real daemon returns: it must keep the same rows.
    agg = await startChain([`aggregate "dockerclient unix://${d.socket}"`]);
    const simMade = await create(sim.socket, NAME);
    ids = { real: made.stdout.trim(), sim: (JSON.parse(simMade.body) as { Id: string }).Id };
  });
  afterAll(async () => {
    await sim?.stop();
    await agg?.stop();
    await stopDaemons(ds);
  });

  // dockerd skips a value Go cannot compile (filters.Args.Match): 200 and no rows, never an error.
  const cases: [string, string][] = [
    ['the reported backreference', BACKREF],
    ['an unclosed group', '('],
    ['an unclosed class', '[a'],
    ['a nested repetition', 'a**'],
    ['a repeat count over 1000', 'x{1001}'],
    ['a named group in the (?<n>) form Go 1.19 lacks', 'a(?<n>_)'],
    ['a lookbehind', '(?<=a)_'],
    ['a Go named group', '(?P<n>a)_'],
    ['a \\Q…\\E quote', '\\Q_\\E'],
    ['\\z', '_\\z'],
    ['a flag group', '(?i)AAA'],
    ['an anchor on the bare name', '^aaa'],
    ['an anchor on the /name', '^/aaa'],
    ['the exact name', NAME],
  ];
  it.each(cases)('name filter with %s', { timeout: 10_000 }, async (_what, pattern) => {
    const d = ds[0] as Daemon;
    const real = await http(d.socket, 'GET', listPath({ name: [pattern] }));
    expect(real.status).toBe(200);
    for (const front of [sim, agg]) {
      const ours = await http(front.socket, 'GET', listPath({ name: [pattern] }));
      expect(ours.status).toBe(real.status);
      expect(rowNames(ours)).toEqual(rowNames(real));
    }
  });

  it('id filter: a unique prefix selects, a regex or an inner substring does not', async () => {
    const d = ds[0] as Daemon;
    const shapes = [
      (id: string) => id.slice(0, 12),
      (id: string) => `^${id.slice(0, 6)}`,
      (id: string) => id.slice(5, 12),
      () => '(',
    ];
    for (const shape of shapes) {
      const real = await http(d.socket, 'GET', listPath({ id: [shape(ids.real)] }));
      const ours = await http(sim.socket, 'GET', listPath({ id: [shape(ids.sim)] }));
      expect([ours.status, rowNames(ours)]).toEqual([real.status, rowNames(real)]);
    }
  });
});
