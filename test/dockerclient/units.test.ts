import { describe, expect, it } from 'vitest';
import { graceMs } from '../../src/backends/docker/api.js';
import { parseEngineAddress, parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import {
  failureErrorArgs,
  httpErrorArgs,
  passHeaders,
  planCall,
} from '../../src/backends/docker/engine-request.js';
import { ConnectionLostError, DeadlineExceededError, ErrorCode, SwarmError } from '../../src/errors.js';

describe('dockerclient request planning (no daemon)', () => {
  it('maps ops to method and path, encoding ids and keeping image-name slashes', () => {
    expect(planCall({ op: 'ping', query: {} })).toMatchObject({ method: 'GET', path: '/_ping' });
    expect(planCall({ op: 'container.inspect', id: 'a b', query: {} })).toMatchObject({
      method: 'GET',
      path: '/containers/a%20b/json',
    });
    expect(planCall({ op: 'image.inspect', id: 'reg:5000/x/y:tag', query: {} }).path).toBe(
      '/images/reg%3A5000/x/y%3Atag/json',
    );
    expect(planCall({ op: 'container.list', query: { all: 1 as unknown as string } }).query).toEqual({
      all: '1',
    });
  });

  it('rejects bad args with InvalidArgument and a clear message', () => {
    for (const [args, msg] of [
      [null, /must be an object/],
      [{ op: 'nope', query: {} }, /unknown docker op "nope"/],
      [{ op: 'container.start', query: {} }, /needs an id/],
      [{ op: 'container.list', query: 'x' }, /query must be an object/],
    ] as const) {
      expect(() => planCall(args)).toThrow(msg);
      try {
        planCall(args);
      } catch (e) {
        expect((e as { code: string }).code).toBe(ErrorCode.InvalidArgument);
      }
    }
  });

  it('adds the grace period to stop/restart deadlines only', () => {
    const grace = (args: unknown) => {
      const p = planCall(args);
      return graceMs(p.route, p.query);
    };
    expect(grace({ op: 'container.stop', id: 'x', query: { t: '7' } })).toBe(7_000);
    expect(grace({ op: 'container.restart', id: 'x', query: {} })).toBe(10_000);
    expect(grace({ op: 'container.kill', id: 'x', query: {} })).toBe(0);
  });

  it('sends every value of a repeated query key unless a stage rewrote it; carries only the row’s headers', () => {
    const p = planCall({
      op: 'image.create',
      query: { fromSrc: '-', changes: 'CMD a', tag: 'x' },
      repeated: { changes: ['CMD a', 'ENV b=1', 'LABEL c=d'] },
      headers: { 'x-registry-auth': 'e30=', host: 'evil', 'content-length': '1' },
    });
    expect(p.search).toEqual([
      ['fromSrc', '-'],
      ['changes', 'CMD a'],
      ['changes', 'ENV b=1'],
      ['changes', 'LABEL c=d'],
      ['tag', 'x'],
    ]);
    expect(p.headers).toEqual({ 'x-registry-auth': 'e30=' });
    const rewritten = planCall({ op: 'image.build', query: { t: 'mine' }, repeated: { t: ['a', 'b'] } });
    expect(rewritten.search).toEqual([['t', 'mine']]);
    // A container name with a slash (a link) is one encoded segment (dockerd decodes it to the same
    // name); an id that would change the path is refused.
    expect(planCall({ op: 'container.remove', id: 'web/db', query: { link: '1' } }).path).toBe(
      '/containers/web%2Fdb',
    );
    expect(() => planCall({ op: 'container.remove', id: 'a/../../x', query: {} })).toThrow(/not a valid id/);
  });

  it("keeps dockerd's message and status; classifies failures", () => {
    expect(httpErrorArgs(409, { message: 'Conflict. x' })).toEqual({
      message: 'Conflict. x',
      status: 409,
      code: ErrorCode.Conflict,
    });
    expect(httpErrorArgs(500, Buffer.from('plain text\n'))).toMatchObject({
      message: 'plain text',
      status: 500,
    });
    expect(httpErrorArgs(502, undefined).message).toBe('daemon answered 502');
    expect(failureErrorArgs(new DeadlineExceededError('slow'), 'dc')).toMatchObject({
      status: 504,
      message: 'dc: slow',
    });
    expect(failureErrorArgs(new ConnectionLostError('gone'), 'dc')).toMatchObject({ status: 502 });
    expect(failureErrorArgs(new SwarmError(ErrorCode.LimitReached, 'full'), 'dc')).toMatchObject({
      status: 503,
      code: ErrorCode.LimitReached,
    });
    expect(failureErrorArgs(new TypeError('bug'), 'dc')).toMatchObject({
      status: 500,
      code: ErrorCode.Remote,
    });
  });

  it("passes the daemon's headers on (Location of a 301, X-Docker-*, Upgrade), not its own identity or framing", () => {
    expect(
      passHeaders(
        {
          location: '/v1.41/images/gensokyo.jp/kirisame/json',
          'api-version': '1.41',
          'docker-experimental': 'false',
          ostype: 'linux',
          date: 'x',
          'content-length': '9',
          connection: 'close',
        },
        false,
      ),
    ).toEqual({ Location: '/v1.41/images/gensokyo.jp/kirisame/json' });
    const h = {
      'x-docker-container-path-stat': 'e30=',
      server: 'Docker',
      'content-type': 'application/x-tar',
    };
    expect(passHeaders(h, false)).toEqual({ 'X-Docker-Container-Path-Stat': 'e30=' });
    expect(passHeaders(h, true)).toEqual({
      'X-Docker-Container-Path-Stat': 'e30=',
      'Content-Type': 'application/x-tar',
    });
  });
});

describe('dockerclient arguments', () => {
  it('parses addresses', () => {
    expect(parseEngineAddress('unix:///var/run/docker.sock')).toEqual({
      kind: 'unix',
      path: '/var/run/docker.sock',
    });
    expect(parseEngineAddress('tcp://127.0.0.1:2375')).toEqual({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2375,
    });
    expect(parseEngineAddress('tcp://[::1]', true)).toEqual({ kind: 'tcp', host: '::1', port: 2376 });
    expect(() => parseEngineAddress('unix://relative')).toThrow(/absolute path/);
    expect(() => parseEngineAddress('tcp://h:99999')).toThrow(/bad port/);
  });

  it('parses flags and reports mistakes with the usage line', () => {
    expect(parseEngineArgs(['tcp://h:1'])).toEqual({ address: 'tcp://h:1' });
    expect(() => parseEngineArgs(['tcp://h:1', '--bogus'])).toThrow(
      /unknown option --bogus[\s\S]*usage: dockerclient/,
    );
    expect(() => parseEngineArgs(['tcp://h:1', 'extra'])).toThrow(/unexpected argument/);
    expect(() => parseEngineArgs(['tcp://h:1', '--tlscacert'])).toThrow(/needs a file/);
    expect(() => parseEngineArgs(['tcp://h:1', '--tlscacert=/nonexistent/ca.pem'])).toThrow(
      /\/nonexistent\/ca.pem/,
    );
    expect(() => parseEngineArgs(['tcp://h:1', '--tlsverify'], { DOCKER_CERT_PATH: '/nonexistent' })).toThrow(
      /--tlsverify needs a CA/,
    );
    expect(parseEngineArgs(['unix:///d.sock', '--connections', '2', '--streams=3'])).toEqual({
      address: 'unix:///d.sock',
      connections: 2,
      streams: 3,
    });
    for (const bad of [['--streams', '0'], ['--streams', 'many'], ['--connections', '1.5'], ['--streams']])
      expect(() => parseEngineArgs(['unix:///d.sock', ...bad])).toThrow(/needs a (whole )?number/);
    expect(parseEngineArgs(['tcp://h:1', '--tls'], { DOCKER_CERT_PATH: '/nonexistent' }).tls).toEqual({
      ca: undefined,
      cert: undefined,
      key: undefined,
      verify: false,
    });
  });
});
