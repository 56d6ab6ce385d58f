/**
 * The policy's raw-request matcher (the AuthZ plugin mode) and the route table the chain runs on must
 * name every operation alike: a name only one of them knows is an endpoint one mode decides on and
 * the other denies as unknown (container.diff once slipped past `--own` this way).
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/backends/docker/api.js';
import { KNOWN_OPS, matchRawRequest } from '../../src/backends/policy/routes.js';

describe('policy op names', () => {
  it('are exactly the route table’s', () => {
    expect([...KNOWN_OPS].sort()).toEqual([...new Set(ROUTES.map((r) => r.op))].sort());
  });

  it('a raw request line maps to the op the chain would see', () => {
    for (const [method, uri, op] of [
      ['GET', '/v1.41/containers/abc/changes', 'container.diff'],
      ['GET', '/images/get?names=busybox', 'image.get.all'],
      ['POST', '/grpc', 'session.grpc'],
      ['POST', '/v1.41/containers/create?name=x', 'container.create'],
    ] as const) {
      expect(matchRawRequest(method, uri).op, `${method} ${uri}`).toBe(op);
    }
  });
});
