import { describe, expect, it } from 'vitest';
import { type PlacementNode, rankNodes } from '../../src/backends/aggregate/placement.js';
import { parseRule } from '../../src/backends/aggregate/rules.js';
import { isSwarmError } from '../../src/errors.js';

function node(name: string, extra: Partial<PlacementNode> = {}): PlacementNode {
  return {
    name,
    health: 'healthy',
    labels: {},
    containers: [],
    images: ['busybox:local'],
    canPull: false,
    ...extra,
  };
}
const c = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  names: [name],
  image: 'busybox:local',
  labels: {},
  hostPorts: [],
  ...extra,
});
const names = (ns: PlacementNode[]) => ns.map((n) => n.name);
const req = (rules: string[] = [], extra = {}) => ({
  image: 'busybox:local',
  rules: rules.map(parseRule),
  hostPorts: [],
  ...extra,
});

describe('placement', () => {
  const three = [
    node('node1', { labels: { storage: 'ssd' }, containers: [c('a1', 'web'), c('a2', 'db')] }),
    node('node2', { labels: { storage: 'disk' }, containers: [c('b1', 'cache')] }),
    node('node3', { labels: { storage: 'ssd' } }),
  ];

  it('spread prefers the emptiest node, binpack the fullest', () => {
    expect(names(rankNodes(three, req(), { strategy: 'spread' }))).toEqual(['node3', 'node2', 'node1']);
    expect(names(rankNodes(three, req(), { strategy: 'binpack' }))).toEqual(['node1', 'node2', 'node3']);
  });

  it('pending creates count, so a burst spreads', () => {
    const ns = [node('a', { pending: 2 }), node('b', { pending: 1 })];
    expect(rankNodes(ns, req(), { strategy: 'spread' })[0]?.name).toBe('b');
  });

  it('random uses the injected source', () => {
    const seq = [0.9, 0.1, 0.5];
    let i = 0;
    const random = () => seq[i++ % seq.length] as number;
    expect(names(rankNodes(three, req(), { strategy: 'random', random }))).toEqual([
      'node2',
      'node3',
      'node1',
    ]);
  });

  it('constraints on labels and node name, with globs and negation', () => {
    expect(names(rankNodes(three, req(['constraint:storage==ssd']), { strategy: 'spread' }))).toEqual([
      'node3',
      'node1',
    ]);
    expect(names(rankNodes(three, req(['constraint:node==node2']), { strategy: 'spread' }))).toEqual([
      'node2',
    ]);
    expect(names(rankNodes(three, req(['constraint:node==*3']), { strategy: 'spread' }))).toEqual(['node3']);
    expect(names(rankNodes(three, req(['constraint:node!=/node[23]/']), { strategy: 'spread' }))).toEqual([
      'node1',
    ]);
  });

  it('affinities by container name and image', () => {
    expect(names(rankNodes(three, req(['affinity:container==cache']), { strategy: 'spread' }))).toEqual([
      'node2',
    ]);
    expect(names(rankNodes(three, req(['affinity:container!=web']), { strategy: 'spread' }))).toEqual([
      'node3',
      'node2',
    ]);
    const imgs = [node('x', { images: ['redis:7'] }), node('y')];
    expect(
      names(rankNodes(imgs, req(['affinity:image==redis:7'], { image: 'redis:7' }), { strategy: 'spread' })),
    ).toEqual(['x']);
  });

  it('soft rules yield when nothing satisfies them; hard ones do not', () => {
    expect(names(rankNodes(three, req(['constraint:storage==~nvme']), { strategy: 'spread' }))).toHaveLength(
      3,
    );
    expect(() => rankNodes(three, req(['constraint:storage==nvme']), { strategy: 'spread' })).toThrow(
      /storage==nvme/,
    );
  });

  it('health, ports and image availability exclude, and the error names every rule per node', () => {
    const ns = [
      node('up', { containers: [c('p', 'proxy', { hostPorts: ['80/tcp'] })] }),
      node('dead', { health: 'down' }),
      node('bare', { images: [] }),
      node('slow', { health: 'degraded' }),
    ];
    expect(names(rankNodes(ns, req([], { hostPorts: ['80/tcp'] }), { strategy: 'spread' }))).toEqual([
      'slow',
    ]);
    // Degraded ranks last even though it is emptier.
    expect(
      names(
        rankNodes([node('slow', { health: 'degraded' }), ns[0] as PlacementNode], req(), {
          strategy: 'spread',
        }),
      ),
    ).toEqual(['up', 'slow']);
    try {
      rankNodes(ns, req(['constraint:node==up'], { hostPorts: ['80/tcp'] }), { strategy: 'spread' });
      expect.unreachable();
    } catch (err) {
      expect(isSwarmError(err, 'SWARM_ERR_NO_ELIGIBLE_NODE')).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toContain('up: port: 80/tcp already published');
      expect(msg).toContain('dead: health: node is down, constraint:node==up');
      expect(msg).toContain('bare: constraint:node==up, image: busybox:local is not on the node');
    }
  });

  it('a node that can pull is eligible without the image', () => {
    expect(
      names(rankNodes([node('p', { images: [], canPull: true })], req(), { strategy: 'spread' })),
    ).toEqual(['p']);
  });
});
