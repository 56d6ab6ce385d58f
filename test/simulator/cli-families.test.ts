/**
 * The docker CLI 28.2 through `dockerserver → simulator`, compared with the same commands against a
 * private real dockerd 20.10: networks, volumes (data kept between containers), image tag/rmi/history/
 * commit/save|load/prune, container diff/export/update, exec. Outputs and exit codes must be equal
 * once ids, ages and the data root are normalised (cli-sim.ts). Real containers run with `--network
 * none` or on a user network: the test bed's daemons have no default bridge.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../src/backends/simulator/tar.js';
import { docker } from '../harness/index.js';
import { both, type Pair, startPair } from './cli-sim.js';

describe('docker CLI: simulator vs a real dockerd', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair();
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  async function same(args: string[], opts: { input?: string; sort?: boolean } = {}) {
    const r = await both(p, args, opts);
    const shape = (x: typeof r.sim) =>
      opts.sort ? { ...x, stdout: x.stdout.split('\n').sort().join('\n') } : x;
    expect(shape(r.sim), args.join(' ')).toEqual(shape(r.real));
    return r.sim;
  }

  it('networks: create, ls, inspect, connect, disconnect, rm, prune', { timeout: 120_000 }, async () => {
    expect((await same(['network', 'create', 'nt1'])).code).toBe(0);
    expect(await same(['network', 'create', 'nt1'])).toMatchObject({ code: 1 });
    await same(['network', 'create', 'host']);
    await same(['network', 'ls', '--filter', 'name=nt1', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
    const fmt =
      '{{.Name}} {{.Driver}} {{.Scope}} {{.Internal}} {{.Attachable}} {{len .Containers}} {{.IPAM.Driver}}';
    await same(['network', 'inspect', 'nt1', '--format', fmt]);
    await same(['run', '-d', '--name', 'nc1', '--network', 'nt1', 'busybox:local', 'sleep', '1000']);
    await same(['network', 'inspect', 'nt1', '--format', '{{range .Containers}}{{.Name}}{{end}}']);
    expect((await same(['network', 'connect', 'nt1', 'nc1'])).stderr).toContain(
      'already exists in network nt1',
    );
    await same(['network', 'create', 'nt2']);
    await same(['network', 'connect', 'nt2', 'nc1']);
    await same([
      'inspect',
      'nc1',
      '--format',
      '{{len .NetworkSettings.Networks}} {{.HostConfig.NetworkMode}}',
    ]);
    await same(['network', 'connect', 'none', 'nc1']);
    await same(['network', 'disconnect', 'nt2', 'nc1']);
    await same(['network', 'disconnect', 'nt2', 'nc1']);
    expect((await same(['network', 'rm', 'nt1'])).stderr).toContain('has active endpoints');
    await same(['network', 'rm', 'host']);
    await same(['network', 'inspect', 'nope']);
    await same(['network', 'rm', 'nope']);
    expect(await same(['network', 'prune', '-f'])).toMatchObject({
      stdout: 'Deleted Networks:\nnt2\n\n',
      code: 0,
    });
    await same(['rm', '-f', 'nc1']);
    await same(['network', 'rm', 'nt1']);
  });

  it('volumes: create, ls, inspect, rm, prune; a named volume keeps data between containers', {
    timeout: 120_000,
  }, async () => {
    await same(['volume', 'create', 'vd1']);
    await same(['volume', 'create', '--label', 'team=a', 'vd2']);
    await same(['volume', 'create', 'x']);
    await same(['volume', 'create', 'a b']);
    await same(['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Labels}}']);
    const fmt = '{{.Name}} {{.Driver}} {{.Labels}} {{.Options}} {{.Scope}} {{.Mountpoint}}';
    await same(['volume', 'inspect', 'vd2', '--format', fmt]);
    const write = 'echo hello > /data/f; echo more >> /data/f; echo x > /nodir/f';
    expect(
      await same([
        'run',
        '--name',
        'vw',
        '--network',
        'none',
        '-v',
        'vd1:/data',
        'busybox:local',
        'sh',
        '-c',
        write,
      ]),
    ).toMatchObject({ code: 1, stderr: "sh: can't create /nodir/f: nonexistent directory\n" });
    const read = await same([
      'run',
      '--rm',
      '--network',
      'none',
      '-v',
      'vd1:/data',
      'busybox:local',
      'cat',
      '/data/f',
      '/data/no',
    ]);
    expect(read).toMatchObject({ stdout: 'hello\nmore\n', code: 1 });
    await same(['inspect', 'vw', '--format', '{{json .Mounts}}']);
    expect(await same(['diff', 'vw'])).toMatchObject({ stdout: 'A /data\n' });
    expect((await same(['volume', 'rm', 'vd1'])).stderr).toContain('volume is in use');
    await same(['volume', 'inspect', 'nope']);
    await same(['volume', 'rm', 'nope']);
    await same(['run', '--name', 'va', '--network', 'none', '-v', '/anon', 'busybox:local', 'true']);
    await same(['volume', 'ls', '-q', '--filter', 'dangling=false'], { sort: true });
    await same(['rm', '-v', 'va']);
    await same(['rm', 'vw']);
    expect(await same(['volume', 'prune', '-f'], { sort: true })).toMatchObject({ code: 0 });
    await same(['volume', 'ls', '-q']);
  });

  it('images: tag, rmi, history, commit, save | load, prune; containers: diff, export', {
    timeout: 120_000,
  }, async () => {
    await same(['tag', 'busybox:local', 'mine:v1']);
    await same(['tag', 'busybox:local', 'Bad:v1']);
    await same(['tag', 'nope', 'mine:v2']);
    await same(['image', 'ls', 'mine', '--format', '{{.Repository}}:{{.Tag}}']);
    await same(['history', 'mine:v1', '--format', '{{.CreatedBy}}|{{.Comment}}|{{.Size}}']);
    expect(await same(['rmi', 'mine:v1'])).toMatchObject({ stdout: 'Untagged: mine:v1\n', code: 0 });
    await same(['rmi', 'nope']);
    const script = 'echo y > /newf; echo z >> /etc/passwd2';
    await same(['run', '--name', 'ic1', '--network', 'none', 'busybox:local', 'sh', '-c', script]);
    // (dockerd lists changes in its directory walk's order: only the set is fixed.)
    const diff = await same(['diff', 'ic1'], { sort: true });
    expect(diff.stdout.split('\n').filter(Boolean).sort()).toEqual(['A /etc/passwd2', 'A /newf', 'C /etc']);
    // export: the same file list (contents differ: the simulator's busybox is a placeholder).
    const names: string[][] = [];
    for (const host of [p.sim, p.real]) {
      const file = join(p.dir, `export-${names.length}.tar`);
      expect((await docker(['export', '-o', file, 'ic1'], { host })).code).toBe(0);
      names.push(readTar(readFileSync(file)).map((e) => e.name));
    }
    expect(names[0]).toEqual(names[1]);
    expect((await same(['rmi', 'busybox:local'])).stderr).toContain(
      'container <SHORT> is using its referenced image',
    );
    const committed = await same([
      'commit',
      '-m',
      'hello',
      '-a',
      'me',
      '-c',
      'CMD ["cat","/newf"]',
      'ic1',
      'snap:1',
    ]);
    expect(committed.stdout).toBe('sha256:<ID>\n');
    expect(await same(['run', '--rm', '--network', 'none', 'snap:1'])).toMatchObject({ stdout: 'y\n' });
    await same(['history', 'snap:1', '--format', '{{.CreatedBy}}|{{.Comment}}|{{.Size}}']);
    await same([
      'inspect',
      'snap:1',
      '--format',
      '{{.Author}} {{.Comment}} {{.Config.Cmd}} {{len .RootFS.Layers}}',
    ]);
    for (const host of [p.sim, p.real]) {
      const file = join(p.dir, `save-${host === p.sim ? 'sim' : 'real'}.tar`);
      expect((await docker(['save', '-o', file, 'snap:1'], { host })).code).toBe(0);
    }
    expect(await same(['rmi', 'snap:1'])).toMatchObject({ code: 0 });
    for (const [host, side] of [
      [p.sim, 'sim'],
      [p.real, 'real'],
    ] as const) {
      const r = await docker(['load', '-i', join(p.dir, `save-${side}.tar`)], { host });
      expect(r, side).toMatchObject({ stdout: 'Loaded image: snap:1\n', code: 0 });
    }
    expect(await same(['run', '--rm', '--network', 'none', 'snap:1', 'cat', '/etc/passwd2'])).toMatchObject({
      stdout: 'z\n',
    });
    // An untagged commit is dangling: prune takes it.
    await same(['commit', 'ic1']);
    await same(['images', '--filter', 'dangling=true', '--format', '{{.Repository}}:{{.Tag}}']);
    const pruned = await same(['image', 'prune', '-f']);
    expect(pruned.stdout).toMatch(/^Deleted Images:\ndeleted: sha256:<ID>\n/);
    await same(['images', '--filter', 'dangling=true', '-q']);
    await same(['rm', 'ic1']);
    await same(['rmi', 'snap:1']);
  });

  it('update and exec: resources, restart policy, exit codes, stdin, files', {
    timeout: 120_000,
  }, async () => {
    await same(['run', '-d', '--name', 'uc1', '--network', 'none', 'busybox:local', 'sleep', '1000']);
    expect(
      await same([
        'update',
        '--cpus',
        '1',
        '--memory',
        '64m',
        '--memory-swap',
        '128m',
        '--restart',
        'always',
        'uc1',
      ]),
    ).toMatchObject({
      stdout: 'uc1\n',
    });
    const fmt =
      '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.RestartPolicy.Name}}';
    await same(['inspect', 'uc1', '--format', fmt]);
    await same(['update', '--memory', '256m', 'uc1']);
    await same(['update', '--restart', 'bogus', 'uc1']);
    await same(['update', '--cpus', '1', 'nope']);
    expect(await same(['exec', 'uc1', 'sh', '-c', 'echo out; echo err >&2; exit 4'])).toEqual({
      stdout: 'out\n',
      stderr: 'err\n',
      code: 4,
    });
    expect(await same(['exec', 'uc1', 'nope'])).toMatchObject({ code: 126 });
    expect(await same(['exec', '-i', 'uc1', 'cat'], { input: 'piped\n' })).toMatchObject({
      stdout: 'piped\n',
    });
    await same(['exec', 'uc1', 'sh', '-c', 'echo kept > /etc/e1']);
    expect(await same(['exec', 'uc1', 'cat', '/etc/e1'])).toMatchObject({ stdout: 'kept\n' });
    await same(['exec', '-d', 'uc1', 'sleep', '1']);
    await same(['exec', 'nope', 'true']);
    await same(['stop', '-t', '0', 'uc1']);
    await same(['exec', 'uc1', 'true']);
    await same(['rm', 'uc1']);
  });
});
