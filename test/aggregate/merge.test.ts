import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonLineSplitter, labelEvent } from '../../src/backends/aggregate/events.js';
import { type ContainerRow, childListQuery, parseListQuery } from '../../src/backends/aggregate/filters.js';
import { HOST_DOWN, mergeContainerLists } from '../../src/backends/aggregate/merge-containers.js';
import { mergeImageLists, mergeInfo, mergeVersion } from '../../src/backends/aggregate/merge-system.js';

const row = (
  id: string,
  name: string,
  created: number,
  state = 'running',
  extra: Partial<ContainerRow> = {},
) => ({
  Id: id.padEnd(64, '0'),
  Names: [`/${name}`],
  Image: 'busybox:local',
  Created: created,
  State: state,
  Status: state === 'exited' ? 'Exited (3) 1 minute ago' : 'Up 1 minute',
  Labels: {},
  ...extra,
});
const q = (query: Record<string, string> = {}) => parseListQuery(query);
const ids = (rows: ContainerRow[]) => rows.map((r) => r.Names?.[0]);

const cluster = [
  { node: 'n1', rows: [row('a1', 'web', 100), row('a2', 'old', 50, 'exited', { Labels: { tier: 'db' } })] },
  { node: 'n2', rows: [row('b1', 'cache', 200), row('b2', 'job', 150, 'exited')] },
  { node: 'n3', rows: [row('c1', 'api', 120, 'paused')] },
];

describe('container list merge', () => {
  it('merges, sorts newest first and hides stopped rows without -a', () => {
    expect(ids(mergeContainerLists(cluster, q()))).toEqual(['/cache', '/api', '/web']);
    expect(ids(mergeContainerLists(cluster, q({ all: '1' })))).toEqual([
      '/cache',
      '/job',
      '/api',
      '/web',
      '/old',
    ]);
  });

  it('-n and -l apply to the merged list and imply -a', () => {
    expect(ids(mergeContainerLists(cluster, q({ limit: '2' })))).toEqual(['/cache', '/job']);
    expect(ids(mergeContainerLists(cluster, q({ limit: '1' })))).toEqual(['/cache']);
  });

  it('evaluates filters: status, exited, label, name, id, node, before, since', () => {
    const f = (filters: object, extra: Record<string, string> = {}) =>
      ids(mergeContainerLists(cluster, q({ all: '1', filters: JSON.stringify(filters), ...extra })));
    expect(f({ status: { exited: true } })).toEqual(['/job', '/old']);
    expect(f({ status: { exited: true, paused: true } })).toEqual(['/job', '/api', '/old']);
    expect(f({ exited: { '3': true } })).toEqual(['/job', '/old']);
    expect(f({ label: { 'tier=db': true } })).toEqual(['/old']);
    expect(f({ label: ['tier'] })).toEqual(['/old']);
    expect(f({ name: { '^/c': true } })).toEqual(['/cache']);
    expect(f({ id: { b: true } })).toEqual(['/cache', '/job']);
    expect(f({ node: { n3: true } })).toEqual(['/api']);
    expect(f({ node: { 'n*': true }, status: { running: true } })).toEqual(['/cache', '/web']);
    expect(f({ before: { job: true } })).toEqual(['/api', '/web', '/old']);
    expect(f({ since: { web: true } })).toEqual(['/cache', '/job', '/api']);
    expect(() => f({ since: { nosuch: true } })).toThrow(/No such container/);
  });

  it('children get no limit and no cluster-wide filters, and see stopped rows when before/since need them', () => {
    const child = childListQuery(
      q({ limit: '3', filters: '{"node":{"n1":true},"status":{"exited":true}}', size: '1' }),
    );
    expect(child).toEqual({ all: '1', size: '1', filters: '{"status":{"exited":true}}' });
    expect(childListQuery(q({ filters: '{"before":{"x":true}}' }))).toEqual({ all: '1' });
    expect(childListQuery(q())).toEqual({});
  });

  it('rows of a node that did not answer show as Host Down, only with -a', () => {
    const withStale = [...cluster, { node: 'n4', rows: [row('d1', 'ghost', 300)], stale: true }];
    expect(ids(mergeContainerLists(withStale, q()))).not.toContain('/ghost');
    const all = mergeContainerLists(withStale, q({ all: '1' }));
    expect(all[0]).toMatchObject({ Names: ['/ghost'], Status: HOST_DOWN });
  });

  it('duplicate names across nodes become /node/name so every listed name is unique', () => {
    const dup = [
      { node: 'n1', rows: [row('a', 'x', 1)] },
      { node: 'n2', rows: [row('b', 'x', 2)] },
    ];
    expect(ids(mergeContainerLists(dup, q()))).toEqual(['/n2/x', '/n1/x']);
  });

  it('property: the merge is the sorted union, and limit takes its prefix', () => {
    const rowsArb = fc.array(fc.record({ created: fc.nat(1000), running: fc.boolean() }), { maxLength: 20 });
    fc.assert(
      fc.property(fc.array(rowsArb, { minLength: 1, maxLength: 5 }), fc.nat(10), (nodes, limit) => {
        let n = 0;
        const perNode = nodes.map((rs, i) => ({
          node: `n${i}`,
          rows: rs.map((r) => row((n++).toString(16), `c${n}`, r.created, r.running ? 'running' : 'exited')),
        }));
        const all = mergeContainerLists(perNode, q({ all: '1' }));
        expect(all).toHaveLength(n);
        for (let i = 1; i < all.length; i++)
          expect(all[i - 1]!.Created!).toBeGreaterThanOrEqual(all[i]!.Created!);
        const limited = mergeContainerLists(perNode, q({ limit: String(limit) }));
        expect(limited).toEqual(limit > 0 ? all.slice(0, limit) : mergeContainerLists(perNode, q()));
      }),
    );
  });
});

describe('system merges', () => {
  it('info sums totals and reports each node with state, last error and update', () => {
    const info = mergeInfo(
      [
        {
          name: 'n1',
          command: 'simulator n1',
          health: 'healthy',
          updatedAt: 0,
          info: {
            NCPU: 2,
            MemTotal: 100,
            Containers: 3,
            ContainersRunning: 2,
            ContainersStopped: 1,
            Images: 1,
            OSType: 'linux',
          },
        },
        {
          name: 'n2',
          command: 'simulator n2',
          health: 'down',
          lastError: 'deadline exceeded',
          info: { NCPU: 4, MemTotal: 50, Containers: 1, ContainersRunning: 1, Images: 2 },
        },
      ],
      { name: 'agg', strategy: 'spread', serverVersion: 'libswarm-ts' },
    );
    expect(info).toMatchObject({
      NCPU: 6,
      MemTotal: 150,
      Containers: 4,
      ContainersRunning: 3,
      ContainersStopped: 1,
      Images: 3,
      OSType: 'linux',
    });
    const status = info.SystemStatus as [string, string][];
    expect(status).toContainEqual(['Nodes', '2']);
    expect(status).toContainEqual([' n2', 'simulator n2']);
    expect(status).toContainEqual(['  └ Status', 'Unhealthy']);
    expect(status).toContainEqual(['  └ Error', 'deadline exceeded']);
    expect(status).toContainEqual(['  └ UpdatedAt', '1970-01-01T00:00:00.000Z']);
    expect(info.Warnings).toEqual(['WARNING: node n2 is down: deadline exceeded']);
  });

  it('version is the lowest common API version', () => {
    const v = mergeVersion([{ ApiVersion: '1.41' }, { ApiVersion: '1.9' }, { ApiVersion: '1.43' }], 'x');
    expect(v.ApiVersion).toBe('1.9');
    expect(mergeVersion([], 'x').ApiVersion).toBe('1.41');
  });

  it('images are grouped by id with tags unioned', () => {
    const merged = mergeImageLists([
      { node: 'n1', rows: [{ Id: 'sha256:1', RepoTags: ['a:1'], Created: 1, Containers: 1 }] },
      {
        node: 'n2',
        rows: [
          { Id: 'sha256:1', RepoTags: ['a:1', 'a:latest'], Created: 1, Containers: 2 },
          { Id: 'sha256:2', Created: 5 },
        ],
      },
    ]);
    expect(merged).toEqual([
      { Id: 'sha256:2', Created: 5 },
      { Id: 'sha256:1', RepoTags: ['a:1', 'a:latest'], RepoDigests: [], Created: 1, Containers: 3 },
    ]);
  });

  it('events are split across chunk boundaries and labelled with their node', () => {
    const s = new JsonLineSplitter();
    expect(s.push('{"Type":"container","Action":"start"}\n{"Type":')).toHaveLength(1);
    const [ev] = s.push('"image"}\n');
    expect(labelEvent(ev!, 'n2')).toEqual({
      Type: 'image',
      Actor: { Attributes: { 'node.name': 'n2' } },
      node: { Name: 'n2' },
    });
  });
});
