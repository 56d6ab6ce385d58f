/** The pure parts of networks and volumes across nodes: merges, the object directory, object rules. */
import { describe, expect, it } from 'vitest';
import {
  mergeDiskUsage,
  mergeObjectRows,
  mergePruneReports,
  NODE_STATE_LABEL,
} from '../../src/backends/aggregate/merge-objects.js';
import { nodeTagRepeats } from '../../src/backends/aggregate/merge-system.js';
import { rulesFromMap } from '../../src/backends/aggregate/object-rules.js';
import { ObjectDirectory, oneHolder } from '../../src/backends/aggregate/objects.js';
import { formatRule } from '../../src/backends/aggregate/rules.js';

describe('mergeObjectRows', () => {
  it('shows built-in networks once, repeated names as node/name, stale rows labelled', () => {
    const rows = mergeObjectRows(
      [
        {
          node: 'n1',
          rows: [
            { Name: 'bridge', Id: 'b1' },
            { Name: 'web', Id: 'w1' },
            { Name: 'only1', Id: 'o1' },
          ],
        },
        {
          node: 'n2',
          rows: [
            { Name: 'bridge', Id: 'b2' },
            { Name: 'web', Id: 'w2' },
          ],
        },
        {
          node: 'n3',
          rows: [
            { Name: 'bridge', Id: 'b3' },
            { Name: 'gone', Id: 'g3' },
          ],
          stale: true,
        },
      ],
      'network',
    );
    expect(rows.map((r) => r.Name)).toEqual(['bridge', 'n1/web', 'only1', 'n2/web', 'gone']);
    expect((rows[4]?.Labels as Record<string, string> | undefined)?.[NODE_STATE_LABEL]).toBe('Host Down');
  });
  it('treats every repeated volume name alike (no built-ins)', () => {
    const rows = mergeObjectRows(
      [
        { node: 'a', rows: [{ Name: 'bridge' }] },
        { node: 'b', rows: [{ Name: 'bridge' }] },
      ],
      'volume',
    );
    expect(rows.map((r) => r.Name)).toEqual(['a/bridge', 'b/bridge']);
  });
});

describe('mergeDiskUsage and mergePruneReports', () => {
  it('sums sizes, groups images by id, lists the rest', () => {
    const df = mergeDiskUsage([
      {
        node: 'a',
        body: {
          LayersSize: 10,
          Images: [{ Id: 'i', RepoTags: ['x:1'], Containers: 1 }],
          Volumes: [{ Name: 'v' }],
        },
      },
      {
        node: 'b',
        body: {
          LayersSize: 5,
          Images: [{ Id: 'i', RepoTags: ['x:2'], Containers: 2 }],
          Volumes: [{ Name: 'v' }],
        },
      },
    ]);
    expect(df.LayersSize).toBe(15);
    expect(df.Images).toEqual([{ Id: 'i', RepoTags: ['x:1', 'x:2'], Containers: 3, RepoDigests: [] }]);
    expect(df.Volumes?.map((v) => v.Name)).toEqual(['a/v', 'b/v']);
  });
  it('concatenates lists and adds numbers', () => {
    expect(
      mergePruneReports([
        { VolumesDeleted: ['a'], SpaceReclaimed: 1 },
        { VolumesDeleted: null, SpaceReclaimed: 2 },
        { VolumesDeleted: ['b'], SpaceReclaimed: 0 },
      ]),
    ).toEqual({ VolumesDeleted: ['a', 'b'], SpaceReclaimed: 3 });
  });
});

describe('ObjectDirectory', () => {
  const nodes = ['n1', 'n2'];
  it('finds by name, id, id prefix and node/name; built-ins are everywhere', () => {
    const d = new ObjectDirectory();
    d.replace('network', 'n1', [{ name: 'web', id: 'abc123' }]);
    d.replace('network', 'n2', [
      { name: 'web', id: 'def456' },
      { name: 'db', id: 'aaa999' },
    ]);
    expect(d.lookup('network', 'web', nodes).nodes).toEqual(['n1', 'n2']);
    expect(d.lookup('network', 'n2/web', nodes)).toEqual({ nodes: ['n2'], ref: 'web' });
    expect(d.lookup('network', 'def456', nodes).nodes).toEqual(['n2']);
    expect(d.lookup('network', 'aaa', nodes).nodes).toEqual(['n2']);
    expect(d.lookup('network', 'bridge', nodes).nodes).toEqual(nodes);
    expect(() => oneHolder('network', 'web', d.lookup('network', 'web', nodes))).toThrow(/n1\/web|node\/web/);
    expect(() => oneHolder('network', 'nope', d.lookup('network', 'nope', nodes))).toThrow(/No such network/);
    d.remove('network', 'n2', 'def456');
    expect(d.lookup('network', 'web', nodes).nodes).toEqual(['n1']);
  });
  it('pins a volume a create is about to make, until it is made or the pin is released', () => {
    const d = new ObjectDirectory();
    const release = d.pin('data', 'n2');
    expect(d.lookup('volume', 'data', nodes).nodes).toEqual(['n2']);
    release();
    expect(d.lookup('volume', 'data', nodes).nodes).toEqual([]);
    d.pin('data', 'n1');
    d.add('volume', 'n1', { name: 'data' });
    expect(d.lookup('volume', 'data', nodes).nodes).toEqual(['n1']);
  });
});

describe('rulesFromMap', () => {
  it('reads -o/--label rules and the classic constraints label, passing the rest on', () => {
    const { rules, rest } = rulesFromMap({
      'constraint:node': '=n1',
      'com.docker.swarm.constraints': '["storage==ssd","zone!=b"]',
      team: 'x',
    });
    expect(rules.map(formatRule)).toEqual([
      'constraint:node==n1',
      'constraint:storage==ssd',
      'constraint:zone!=b',
    ]);
    expect(rest).toEqual({ team: 'x' });
  });
});

describe('nodeTagRepeats', () => {
  it('writes node/tag only for a tag naming different images on different nodes', () => {
    const out = nodeTagRepeats([
      { node: 'a', rows: [{ Id: 'i1', RepoTags: ['bb:local', 'same:1'] }] },
      {
        node: 'b',
        rows: [
          { Id: 'i2', RepoTags: ['bb:local'] },
          { Id: 'i1', RepoTags: ['same:1'] },
        ],
      },
    ]);
    expect(out.map((n) => n.rows.map((r) => r.RepoTags))).toEqual([
      [['a/bb:local', 'same:1']],
      [['b/bb:local'], ['same:1']],
    ]);
  });
});
