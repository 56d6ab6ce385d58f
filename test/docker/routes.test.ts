/**
 * The route table as the one place: what the router makes of the requests real clients send (found by
 * running docker-compose 1.29, docker-py and the docker CLI against a --debug dockerd), and what a stage
 * that models only part of the API (the simulator) answers for the rest. Pure: no daemon.
 */
import { describe, expect, it } from 'vitest';
import { graceMs, isUpload, ROUTE_BY_OP, routeFor, routeOf } from '../../src/backends/docker/api.js';
import { isHttpError, type MatchedRoute, resolveRoute } from '../../src/backends/docker/http-router.js';
import { unmodelled } from '../../src/backends/docker/unmodelled.js';

const op = (method: string, url: string) => {
  const r = resolveRoute(method, url, '1.41');
  return isHttpError(r) ? r.status : r.route.op;
};
const match = (method: string, url: string) => resolveRoute(method, url, '1.41') as MatchedRoute;

describe('the route table', () => {
  it('routes every family compose, the CLI and docker-py use', () => {
    expect(op('GET', '/v1.41/networks/p_default')).toBe('network.inspect');
    expect(op('POST', '/v1.41/networks/create')).toBe('network.create');
    expect(op('POST', '/v1.41/networks/p_default/connect')).toBe('network.connect');
    expect(op('DELETE', '/v1.41/volumes/p_data')).toBe('volume.remove');
    expect(op('GET', '/v1.41/volumes?filters=%7B%7D')).toBe('volume.list');
    expect(op('POST', '/build?t=x')).toBe('image.build');
    expect(op('POST', '/v1.41/commit?container=x')).toBe('image.commit');
    expect(op('DELETE', '/images/busybox:local')).toBe('image.remove');
    expect(op('POST', '/images/library/busybox/push')).toBe('image.push');
    expect(op('GET', '/images/reg:5000/a/b:1/history')).toBe('image.history');
    expect(op('GET', '/images/get?names=a')).toBe('image.get.all');
    expect(op('GET', '/images/a/get')).toBe('image.get');
    expect(op('GET', '/containers/c1/changes')).toBe('container.diff');
    expect(op('GET', '/plugins/vieux/sshfs:latest/json')).toBe('plugin.inspect');
    expect(op('POST', '/swarm/init')).toBe('swarm.init');
    expect(op('GET', '/services/abc/logs')).toBe('service.logs');
    expect(op('POST', '/session')).toBe('session');
    expect(op('POST', '/grpc')).toBe('session.grpc');
    expect(op('GET', '/distribution/busybox:latest/json')).toBe('distribution.inspect');
    // One operation over a websocket keeps its op (a policy guarding attach guards both); the row that
    // sends it is chosen by the client's Upgrade.
    expect(op('GET', '/containers/c1/attach/ws')).toBe('container.attach');
    expect(routeFor('container.attach')?.method).toBe('POST');
    expect(routeFor('container.attach', { upgrade: 'websocket' })?.path).toBe(
      '/containers/{name*}/attach/ws',
    );
    expect(routeFor('container.attach', { upgrade: 'tcp' })?.method).toBe('POST');
  });

  it("container names may hold a slash, like dockerd's {name:.*} (removing a link)", () => {
    expect(match('DELETE', '/containers/web/db?link=1')).toMatchObject({
      id: 'web/db',
      query: { link: '1' },
    });
    expect(match('GET', '/containers/c1/json').id).toBe('c1');
    expect(op('GET', '/containers/json')).toBe('container.list');
  });

  it('keeps every value of a repeated query key, the first one in query', () => {
    const m = match('POST', '/images/create?fromSrc=-&changes=CMD+a&changes=ENV+b%3D1&repo=x');
    expect(m.query).toEqual({ fromSrc: '-', changes: 'CMD a', repo: 'x' });
    expect(m.repeated).toEqual({ changes: ['CMD a', 'ENV b=1'] });
    expect(match('POST', '/build?t=a&t=b&t=c').repeated).toEqual({ t: ['a', 'b', 'c'] });
    expect(match('GET', '/containers/json?all=1').repeated).toBeUndefined();
  });

  it('says how bodies and answers travel and the stop grace, once', () => {
    const r = (o: string) => ROUTE_BY_OP.get(o as never)!;
    expect(isUpload(r('image.build'), {})).toBe(true);
    expect(isUpload(r('image.load'), {})).toBe(true);
    expect(isUpload(r('container.archive.put'), {})).toBe(true);
    expect(isUpload(r('image.create'), { fromImage: 'x' })).toBe(false);
    expect(isUpload(r('image.create'), { fromSrc: '-' })).toBe(true);
    expect(r('container.attach').answer).toBe('hijack');
    expect(r('session').answer).toBe('upgrade');
    expect(r('image.get').answer).toBe('stream');
    expect(graceMs(r('container.stop'), { t: '3' })).toBe(3000);
    expect(graceMs(r('container.restart'), {})).toBe(10_000);
    expect(graceMs(r('container.kill'), { t: '3' })).toBe(0);
    expect(routeOf('nope')).toBeUndefined();
  });

  it('paths outside the Engine API stay dockerd’s 404 page not found', () => {
    expect(resolveRoute('GET', '/v1.41/nosuch', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(resolveRoute('GET', '/networksx', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(resolveRoute('GET', '/v1.99/networks', '1.41')).toMatchObject({ status: 400 });
  });
});

describe('an op a stage does not model (the simulator)', () => {
  it('a lookup or removal of one object is a 404; the rest 501 with a hint naming the stage', () => {
    const sim = (o: string, id?: string) =>
      unmodelled({ op: o as never, query: {}, ...(id ? { id } : {}) }, 'the simulator');
    expect(sim('plugin.inspect', 'x').status).toBe(404);
    expect(sim('plugin.remove', 'x').status).toBe(404);
    expect(sim('node.inspect', 'n1').status).toBe(404);
    expect(sim('image.push', 'me/app:1')).toEqual({
      status: 501,
      message:
        'POST /images/me/app:1/push: the simulator does not implement image.push (images); search and push need a registry: run them against a real daemon (dockerclient)',
    });
    expect(sim('swarm.init').message).toMatch(/swarm mode\); swarmd is its own cluster layer/);
    expect(sim('image.build').status).toBe(501);
  });
});
