/**
 * Issue 10 item 8: `..` in ids and names. dockerd's router decodes the path (`%2F` → `/`), cleans it
 * and answers `301` with the cleaned path before any route is chosen, so
 * `/images/..%2F..%2Fplugins%2Fx/json` never names an image there. Through swarmd it used to be
 * forwarded as image.inspect of `../../plugins/x` and dockerclient rebuilt it as
 * `GET /v1.41/images/../../plugins/x/json`: a request for another path. Each raw request here goes to
 * a real dockerd and to dockerserver → dockerclient → the same dockerd; the answers must match and the
 * redirected ones must never be forwarded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCall } from '../../src/backends/docker/engine-request.js';
import { checkRequestPath } from '../../src/backends/docker/http-path.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { type Chain, startChain, stopChain } from '../dockerclient/cli-chain.js';
import { ask } from '../dockerclient/support.js';
import { exchange, parseAnswer, type RawAnswer, request } from './http-raw.js';

let chain: Chain;
let front: string;
beforeAll(async () => {
  chain = await startChain();
  front = chain.host.slice('unix://'.length);
});
afterAll(() => stopChain(chain));

/** What both sides must agree on: status, Location and body. */
function essence(a: RawAnswer) {
  return { status: a.status, location: a.headers.location, body: a.body };
}

async function both(raw: string): Promise<{ direct: RawAnswer; swarmd: RawAnswer; forwarded: string[] }> {
  const direct = parseAnswer(await exchange(chain.d.socket, raw));
  const before = chain.ops.length;
  const swarmd = parseAnswer(await exchange(front, raw));
  return { direct, swarmd, forwarded: chain.ops.slice(before).filter((op) => op !== 'ping') };
}

const REDIRECTED: [string, string, string][] = [
  ['GET', '/v1.41/images/..%2F..%2Fplugins%2Fx/json', '/plugins/x/json'],
  ['GET', '/images/..%2F..%2Fplugins%2Fx/json?a=b&c=%2F', '/plugins/x/json?a=b&c=%2F'],
  ['GET', '/v1.41/containers/..%2F..%2Finfo/json', '/info/json'],
  ['GET', '/v1.41/containers/%2E%2E/json', '/v1.41/json'],
  ['GET', '/v1.41/images/x%2F..%2Fbusybox:local/json', '/v1.41/images/busybox:local/json'],
  ['GET', '/v1.41/images/a/../busybox:local/json', '/v1.41/images/busybox:local/json'],
  ['GET', '/v1.41/containers/x/./json', '/v1.41/containers/x/json'],
  ['GET', '/v1.41//info', '/v1.41/info'],
  ['GET', '/v9.99/containers/../json', '/v9.99/json'],
  [
    'GET',
    "/v1.41/containers/a/../x!'()*%20%22%C3%A9/json",
    '/v1.41/containers/x%21%27%28%29%2A%20%22%C3%A9/json',
  ],
  ['POST', '/v1.41/containers/x%2F..%2F..%2Fy/start', '/v1.41/y/start'],
  ['DELETE', '/v1.41/containers/..%2Fimages%2Fbusybox:local', '/v1.41/images/busybox:local'],
];

describe('paths with . and .. segments, against a real dockerd', () => {
  it.each(REDIRECTED)('%s %s: 301 to %s like dockerd, never forwarded', async (method, target, location) => {
    const { direct, swarmd, forwarded } = await both(request(method, target));
    expect(direct.status).toBe(301);
    expect(direct.headers.location).toBe(location);
    expect(essence(swarmd)).toEqual(essence(direct));
    expect(swarmd.headers['content-length']).toBe('0');
    expect(forwarded).toEqual([]);
  });

  it('an attach upgrade to a ..-path is redirected like dockerd, not upgraded or forwarded', async () => {
    const raw = request('POST', '/v1.41/containers/..%2F..%2Fx/attach?stream=1&stdout=1', {
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    });
    const { direct, swarmd, forwarded } = await both(raw);
    expect(essence(direct)).toEqual({ status: 301, location: '/x/attach?stream=1&stdout=1', body: '' });
    expect(essence(swarmd)).toEqual(essence(direct));
    expect(forwarded).toEqual([]);
  });

  it('HEAD is redirected too, with no body', async () => {
    const { direct, swarmd, forwarded } = await both(request('HEAD', '/v1.41/containers/../x'));
    expect(essence(direct)).toEqual({ status: 301, location: '/v1.41/x', body: '' });
    expect(essence(swarmd)).toEqual(essence(direct));
    expect(forwarded).toEqual([]);
  });

  it('an encoded slash without dot segments is a name, as in dockerd (forwarded, same 404)', async () => {
    const { direct, swarmd, forwarded } = await both(request('GET', '/v1.41/containers/a%2Fb/json'));
    expect(essence(direct)).toEqual({
      status: 404,
      location: undefined,
      body: '{"message":"No such container: a/b"}\n',
    });
    expect(essence(swarmd)).toEqual(essence(direct));
    expect(forwarded).toEqual(['container.inspect']);
  });
});

describe('dockerclient never rebuilds a path with dot segments', () => {
  it.each([
    ['image.inspect', '../../plugins/x'],
    ['image.inspect', 'x/../busybox:local'],
    ['image.inspect', 'a//b'],
    ['container.inspect', '..'],
    ['container.start', '.'],
  ] as const)('%s of %j is refused with 400 before any call', async (op, id) => {
    expect(() => planCall({ op, id, query: {} })).toThrow(/is not a valid id or name/);
    try {
      planCall({ op, id, query: {} });
    } catch (err) {
      expect(isSwarmError(err, ErrorCode.InvalidArgument)).toBe(true);
    }
    const reply = await ask(chain.dc, { op, id });
    expect(reply.verb).toBe('error');
    expect(reply.args).toMatchObject({ status: 400, code: ErrorCode.InvalidArgument });
  });

  it('keeps ids that only look odd: a/b, names with dots, image refs with registry and tag', () => {
    expect(planCall({ op: 'container.inspect', id: 'a/b', query: {} }).path).toBe('/containers/a%2Fb/json');
    expect(planCall({ op: 'container.inspect', id: '..x', query: {} }).path).toBe('/containers/..x/json');
    expect(planCall({ op: 'image.inspect', id: 'reg:5000/team/img:1.0', query: {} }).path).toBe(
      '/images/reg%3A5000/team/img%3A1.0/json',
    );
    expect(checkRequestPath('/v1.41/containers/json?a=../..')).toEqual({ kind: 'ok' });
  });
});
