/**
 * What the simulator does not model answers as unmodelled() says, and its hints stay true: every kind
 * of object with a hint has an op the simulator really refuses, and every kind it refuses an op of
 * has a hint (or is swarm mode, which has its own).
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/backends/docker/api.js';
import { UNMODELLED_HINTS } from '../../src/backends/docker/unmodelled.js';
import { harness } from './helpers.js';

const SWARM = new Set(['swarm', 'node', 'service', 'task', 'secret', 'config']);

describe('ops the simulator does not model', () => {
  it('every hint names a kind of object with an op the simulator refuses, and each such kind has one', async () => {
    const h = harness();
    const refused = new Map<string, string[]>();
    for (const route of ROUTES) {
      const r = await h.call(route.op, { id: 'x' });
      if (r.verb !== 'error' || !/the simulator does not implement/.test(r.args.message ?? '')) continue;
      expect([404, 501]).toContain(r.args.status);
      refused.set(route.object, [...(refused.get(route.object) ?? []), route.op]);
    }
    const kinds = [...refused.keys()].filter((k) => !SWARM.has(k)).sort();
    expect(Object.keys(UNMODELLED_HINTS).sort()).toEqual(kinds);
    // What the hints were written about (a change here is a reason to reread them).
    expect(refused.get('image')).toEqual(['image.search', 'image.push']);
    expect(refused.get('container')).toEqual([
      'container.stats',
      'container.archive.stat',
      'container.archive.get',
      'container.archive.put',
    ]);
    expect(refused.has('network')).toBe(false);
    expect(refused.has('volume')).toBe(false);
  });
});
