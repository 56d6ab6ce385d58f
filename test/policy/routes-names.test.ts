/**
 * The policy reads the route table (src/backends/docker/routes), never a list of its own: every row
 * must resolve in the AuthZ plugin mode's raw-request matcher to the op the chain's router gives the
 * same request line (a name only one of them knew was an endpoint one mode decided on and the other
 * denied as unknown: container.diff once slipped past `--own` this way), and every op must get a
 * decision from each profile by a rule that names it, never the unknown-endpoint fallback.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES, type Route } from '../../src/backends/docker/api.js';
import { isHttpError, matchRoute } from '../../src/backends/docker/http-router.js';
import { BODY_TYPES, decide, PROFILES, profileConfig } from '../../src/backends/policy/decide.js';
import { KNOWN_OPS, matchRawRequest, READ_OPS } from '../../src/backends/policy/routes.js';

/** A request path for `row` with its parameters filled in (an image reference with a registry and tag). */
function pathOf(row: Route, encode = false): string {
  const fill = (name: string) => {
    const v = name === 'id' ? 'abc123' : 'reg.example:5000/team/app:1.0';
    return encode ? v.replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`) : v;
  };
  return row.path.replace(/\{(\w+)\*?\}/g, (_m, name: string) => fill(name));
}

describe('policy op names come from the route table', () => {
  it('every row resolves in the plugin matcher to the op the chain’s router gives it', () => {
    const misses: string[] = [];
    for (const row of ROUTES) {
      const plain = pathOf(row);
      const chain = matchRoute(row.method, plain, '1.41');
      expect(isHttpError(chain), `${row.method} ${plain}`).toBe(false);
      const expected = isHttpError(chain) ? undefined : chain.route.op;
      for (const uri of [plain, `/v1.41${plain}`, `/v1.24${plain}?x=1`, `/v1.41${pathOf(row, true)}`]) {
        const got = matchRawRequest(row.method, uri);
        if (got.op !== expected) misses.push(`${row.method} ${uri}: ${got.op} (chain: ${expected})`);
      }
    }
    expect(misses).toEqual([]);
    expect(KNOWN_OPS.size).toBe(new Set(ROUTES.map((r) => r.op)).size);
  });

  it('a raw request line is read as dockerd reads it', () => {
    for (const [method, uri, op, id] of [
      ['GET', '/v1.41/containers/abc/changes', 'container.diff', 'abc'],
      ['GET', '/images/get?names=busybox', 'image.get.all', undefined],
      ['POST', '/grpc', 'session.grpc', undefined],
      ['POST', '/v1.41/containers/create?name=x', 'container.create', undefined],
      // percent-decoded then cleaned: `..` cannot hide an endpoint
      ['POST', '/v1.41/containers/x/..%2F..%2Fplugins/pull', 'plugin.install', undefined],
      ['GET', '/images/reg.example:5000/team/app:1.0/json', 'image.inspect', 'reg.example:5000/team/app:1.0'],
      ['GET', '/containers/a%2520b/json', 'container.inspect', 'a%20b'],
      ['GET', '/v1.41/nope', undefined, undefined],
    ] as const) {
      const m = matchRawRequest(method, uri);
      expect([m.op, m.id], `${method} ${uri}`).toEqual([op, id]);
    }
    expect(matchRawRequest('GET', '/containers/json?all=1&all=0').query).toEqual({ all: '1' });
  });
});

describe('every op of the route table has a decision in every profile', () => {
  it.each(PROFILES)('%s', (profile) => {
    const config = profileConfig(profile);
    const unknown: string[] = [];
    for (const op of KNOWN_OPS) {
      const body = BODY_TYPES[op] ? {} : undefined;
      const v = decide({ op, query: {}, ...(body ? { body } : {}) }, config);
      if (!v.allow && v.rule === 'unknown-endpoint') unknown.push(op);
      // reads pass every profile; readonly refuses everything else, as a change or a copy
      if (READ_OPS.has(op)) expect(v, `${profile} ${op}`).toMatchObject({ allow: true });
      else if (profile === 'readonly') expect(v, `${profile} ${op}`).toMatchObject({ allow: false });
    }
    expect(unknown).toEqual([]);
  });

  it('reads are the rows that change nothing, minus those that copy data or secrets out', () => {
    for (const op of ['container.list', 'container.logs', 'image.inspect', 'events', 'container.wait'])
      expect(READ_OPS.has(op), op).toBe(true);
    for (const op of ['container.archive.get', 'container.export', 'image.get', 'swarm.inspect', 'auth'])
      expect(READ_OPS.has(op), op).toBe(false);
    for (const row of ROUTES)
      if (row.changes && row.op !== 'container.wait') expect(READ_OPS.has(row.op), row.op).toBe(false);
  });
});
