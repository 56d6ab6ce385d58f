/**
 * Engine API endpoints swarmd knows but does not serve: what real clients send (found by running
 * docker-compose 1.29, docker-py and the docker CLI against a --debug dockerd) and what the edge
 * answers. Pure: no daemon.
 */
import { describe, expect, it } from 'vitest';
import { isHttpError } from '../../src/backends/docker/http-router.js';
import { resolveRoute, unsupportedEndpoint } from '../../src/backends/docker/http-unsupported.js';

const status = (method: string, url: string) => {
  const r = resolveRoute(method, url, '1.41');
  return isHttpError(r) ? r.status : r.route.op;
};

describe('unsupported Engine API endpoints', () => {
  it('compose without network_mode: lookups and removals are 404 (no such network), creation is 501', () => {
    // The exact requests compose 1.29 sends for a project's default network and a named volume.
    expect(status('GET', '/v1.41/networks/p_default')).toBe(404);
    expect(status('POST', '/v1.41/networks/create')).toBe(501);
    expect(status('POST', '/v1.41/networks/p_default/connect')).toBe(501);
    expect(status('POST', '/v1.41/networks/p_default/disconnect')).toBe(501);
    expect(status('DELETE', '/v1.41/networks/p_default')).toBe(404);
    expect(status('GET', '/v1.41/volumes/p_data')).toBe(404);
    expect(status('POST', '/v1.41/volumes/create')).toBe(501);
    expect(status('DELETE', '/v1.41/volumes/p_data')).toBe(404);
    expect(unsupportedEndpoint('POST', '/v1.41/networks/create?x=1')).toEqual({
      status: 501,
      message:
        'POST /networks/create: swarmd does not implement the networks API; run containers with --network none (in a compose file: network_mode: none)',
    });
  });

  it('lists and the rest of each family are 501 with a hint; inspect fallbacks stay 404', () => {
    expect(status('GET', '/networks')).toBe(501);
    expect(status('GET', '/v1.41/volumes?filters=%7B%7D')).toBe(501);
    expect(status('POST', '/volumes/prune')).toBe(501);
    // `docker inspect NAME` walks every object type and needs 404s to print "No such object".
    expect(status('GET', '/v1.41/plugins/nosuch/json')).toBe(404);
    expect(status('GET', '/plugins')).toBe(501);
    for (const [m, u] of [
      ['POST', '/build'],
      ['POST', '/v1.41/commit?container=x'],
      ['DELETE', '/images/busybox:local'],
      ['POST', '/images/busybox:local/tag?repo=x'],
      ['POST', '/images/library/busybox/push'],
      ['GET', '/images/busybox/history'],
      ['POST', '/images/load'],
      ['GET', '/containers/c1/changes'],
      ['GET', '/containers/c1/export'],
      ['POST', '/containers/c1/update'],
      ['GET', '/swarm'],
      ['POST', '/swarm/init'],
      ['GET', '/services'],
      ['GET', '/nodes/n1'],
      ['POST', '/auth'],
      ['POST', '/session'],
    ] as const) {
      const r = unsupportedEndpoint(m, u);
      expect(r?.status, `${m} ${u}`).toBe(501);
      expect(r?.message, `${m} ${u}`).toMatch(/^[A-Z]+ \/\S*: swarmd does not implement the .+ API; .+/);
    }
  });

  it('served routes are untouched and paths outside the Engine API stay dockerd’s 404 page not found', () => {
    expect(status('GET', '/v1.41/images/busybox:local/json')).toBe('image.inspect');
    expect(status('POST', '/images/create?fromImage=x')).toBe('image.create');
    expect(status('GET', '/containers/c1/json')).toBe('container.inspect');
    expect(status('DELETE', '/containers/c1')).toBe('container.remove');
    expect(resolveRoute('GET', '/v1.41/nosuch', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(resolveRoute('GET', '/networksx', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(resolveRoute('GET', '/v1.99/networks', '1.41')).toMatchObject({ status: 400 });
  });
});
