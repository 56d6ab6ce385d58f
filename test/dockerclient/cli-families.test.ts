/**
 * The families swarmd used to answer 501 (networks, volumes, builds, image tag/rm/save/load/commit/
 * history/prune/push, container diff/update/export, import with several --change), with the real docker
 * CLI through dockerserver → dockerclient → a private dockerd, compared with the same commands straight
 * to that dockerd: same stdout, stderr and exit code once ids and the name prefix are normalised.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../harness/index.js';
import { type Chain, comparer, IMG, NET, startChain, stopChain } from './cli-chain.js';

/** Short ids (12 hex) as the CLI prints them: build steps, image history. */
const shortIds = (s: string) => s.replace(/\b[0-9a-f]{12}\b/g, '<id>');

describe('docker CLI: networks, volumes, builds and images through the chain, vs direct', () => {
  let chain: Chain;
  const { same, both } = comparer(() => chain);

  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(() => stopChain(chain));

  it('network create, ls, inspect, connect (refused for --network none), run on it, rm, prune', async () => {
    expect(await same((p) => ['network', 'create', '--label', `t=${p}`, `${p}net`])).toMatchObject({
      stdout: '<ID>\n',
      code: 0,
    });
    const ls = await same((p) => [
      'network',
      'ls',
      '--filter',
      `name=${p}`,
      '--format',
      '{{.Name}} {{.Driver}}',
    ]);
    expect(ls.stdout).toBe('P-net bridge\n');
    expect(
      (await same((p) => ['network', 'inspect', '--format', '{{.Name}} {{.Driver}} {{.Scope}}', `${p}net`]))
        .stdout,
    ).toBe('P-net bridge local\n');
    await same((p) => ['create', '--name', `${p}nc`, ...NET, IMG, 'true']);
    const refused = await same((p) => ['network', 'connect', `${p}net`, `${p}nc`]);
    expect(refused.code).toBe(1);
    expect(await same((p) => ['run', '--rm', '--network', `${p}net`, IMG, 'echo', 'on-net'])).toEqual({
      stdout: 'on-net\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['network', 'rm', `${p}net`])).toEqual({
      stdout: 'P-net\n',
      stderr: '',
      code: 0,
    });
    const missing = await same((p) => ['network', 'inspect', `${p}net`]);
    expect(missing.code).toBe(1);
    await same((p) => ['network', 'create', '--label', `t=${p}`, `${p}net2`]);
    const prune = await same((p) => ['network', 'prune', '-f', '--filter', `label=t=${p}`]);
    expect(prune.stdout).toBe('Deleted Networks:\nP-net2\n\n');
  });

  it('volume create, ls, inspect, data kept between containers, rm, prune', async () => {
    expect(await same((p) => ['volume', 'create', '--label', `t=${p}`, `${p}vol`])).toEqual({
      stdout: 'P-vol\n',
      stderr: '',
      code: 0,
    });
    expect(
      (await same((p) => ['volume', 'ls', '--filter', `name=${p}`, '--format', '{{.Name}} {{.Driver}}']))
        .stdout,
    ).toBe('P-vol local\n');
    expect(
      (await same((p) => ['volume', 'inspect', '--format', '{{.Name}} {{.Driver}}', `${p}vol`])).stdout,
    ).toBe('P-vol local\n');
    await same((p) => ['run', '--rm', ...NET, '-v', `${p}vol:/data`, IMG, 'sh', '-c', 'echo kept > /data/f']);
    expect(await same((p) => ['run', '--rm', ...NET, '-v', `${p}vol:/data`, IMG, 'cat', '/data/f'])).toEqual({
      stdout: 'kept\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['volume', 'rm', `${p}vol`])).toEqual({
      stdout: 'P-vol\n',
      stderr: '',
      code: 0,
    });
    await same((p) => ['volume', 'create', '--label', `t=${p}`, `${p}vol2`]);
    const prune = await same((p) => ['volume', 'prune', '-f', '--filter', `label=t=${p}`]);
    expect(prune.stdout).toMatch(/^Deleted Volumes:\nP-vol2\n/);
  });

  it('build with a 3 MB context (legacy builder), tag, history, save | load, rmi, image prune', {
    timeout: 120_000,
  }, async () => {
    const ctx = join(chain.dir, 'ctx');
    mkdirSync(ctx, { recursive: true });
    writeFileSync(join(ctx, 'blob'), randomBytes(3 * 1024 * 1024));
    writeFileSync(
      join(ctx, 'Dockerfile'),
      'FROM busybox:local\nCOPY blob /blob\nRUN ["sh", "-c", "echo built > /built"]\nLABEL built=yes\n',
    );
    const build = await both(
      (p) => ['build', '--no-cache', '--network', 'none', '-t', `${p}b:1`, '-t', `${p}b:2`, ctx],
      { stdout: shortIds },
    );
    expect(build.chained).toEqual(build.direct);
    expect(build.direct.code, build.direct.stderr).toBe(0);
    expect(build.direct.stdout).toMatch(/Sending build context to Docker daemon {2}3\.1\d+MB/);
    // Both tags (a repeated `t` query parameter) arrived.
    expect(build.direct.stdout).toContain('Successfully tagged P-b:1\nSuccessfully tagged P-b:2\n');
    expect(await same((p) => ['run', '--rm', ...NET, `${p}b:1`, 'cat', '/built'])).toMatchObject({
      stdout: 'built\n',
    });
    expect(await same((p) => ['tag', `${p}b:1`, `${p}t:1`])).toEqual({ stdout: '', stderr: '', code: 0 });
    const history = await same((p) => ['history', '--format', '{{.CreatedBy}} {{.Size}}', `${p}t:1`]);
    expect(history.stdout).toContain('LABEL built=yes');
    const save = await same((p) => ['save', '-o', join(chain.dir, `${p}.tar`), `${p}t:1`]);
    expect(save).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(statSync(join(chain.dir, 'cc-.tar')).size).toBe(statSync(join(chain.dir, 'dd-.tar')).size);
    expect(await same((p) => ['rmi', `${p}t:1`])).toEqual({
      stdout: 'Untagged: P-t:1\n',
      stderr: '',
      code: 0,
    });
    const load = await same((p) => ['load', '-i', join(chain.dir, `${p}.tar`)]);
    expect(load.stdout).toBe('Loaded image: P-t:1\n');
    // save | load through pipes (the image streams out and back in).
    const out = await docker(['save', 'cc-t:1'], { host: chain.host, timeoutMs: 60_000 });
    expect(out.code).toBe(0);
    const saved = await docker(['image', 'inspect', '--format', '{{.Id}}', 'cc-t:1'], { host: chain.host });
    expect(saved.stdout).toMatch(/^sha256:/);
    const prune = await same(() => ['image', 'prune', '-f', '--filter', 'label=nosuch=1']);
    expect(prune).toEqual({ stdout: 'Total reclaimed space: 0B\n', stderr: '', code: 0 });
    expect((await same((p) => ['rmi', `${p}b:2`])).code).toBe(0);
  });

  it('commit, diff, update, export; import with several --change', async () => {
    await same((p) => ['run', '--name', `${p}w`, ...NET, IMG, 'sh', '-c', 'echo x > /made']);
    expect(await same((p) => ['diff', `${p}w`])).toEqual({ stdout: 'A /made\n', stderr: '', code: 0 });
    expect(await same((p) => ['commit', '-c', 'ENV C=1', `${p}w`, `${p}committed:1`])).toEqual({
      stdout: 'sha256:<ID>\n',
      stderr: '',
      code: 0,
    });
    expect(
      (await same((p) => ['image', 'inspect', '--format', '{{.Config.Env}}', `${p}committed:1`])).stdout,
    ).toMatch(/C=1/);
    expect(await same((p) => ['update', '--restart', 'on-failure:3', `${p}w`])).toEqual({
      stdout: 'P-w\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['export', '-o', join(chain.dir, `${p}w.tar`), `${p}w`])).toEqual({
      stdout: '',
      stderr: '',
      code: 0,
    });
    expect(statSync(join(chain.dir, 'cc-w.tar')).size).toBeGreaterThan(1_000_000);
    const tar = readFileSync(join(chain.dir, 'cc-w.tar'));
    const imp = await same(
      (p) => [
        'import',
        '--change',
        'ENV A=1',
        '--change',
        'ENV B=2',
        '--change',
        'CMD ["cat"]',
        '-',
        `${p}imp:1`,
      ],
      { input: tar },
    );
    expect(imp).toEqual({ stdout: 'sha256:<ID>\n', stderr: '', code: 0 });
    const env = await same((p) => [
      'image',
      'inspect',
      '--format',
      '{{.Config.Env}} {{.Config.Cmd}}',
      `${p}imp:1`,
    ]);
    expect(env.stdout).toBe('[A=1 B=2] [cat]\n');
  });

  it('push streams its progress and the registry error like dockerd', async () => {
    await same((p) => ['tag', IMG, `127.0.0.1:1/${p}x`]);
    const push = await same((p) => ['push', `127.0.0.1:1/${p}x`]);
    expect(push.code).toBe(1);
    expect(push.stdout).toContain('The push refers to repository [127.0.0.1:1/P-x]');
  });
});
