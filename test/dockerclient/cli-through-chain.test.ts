/**
 * The real docker CLI through dockerserver → dockerclient → a private dockerd, compared with the same
 * command run directly against that dockerd: same stdout, stderr and exit code once ids and the
 * per-path name prefix are normalised.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Chain, comparer, IMG, NET, startChain, stopChain } from './cli-chain.js';

describe('docker CLI through dockerserver → dockerclient → dockerd, vs direct', () => {
  let chain: Chain;
  let dir: string;
  const started = String(Math.floor(Date.now() / 1000) - 1);
  const { same } = comparer(() => chain);

  beforeAll(async () => {
    chain = await startChain();
    dir = chain.dir;
  });
  afterAll(() => stopChain(chain));

  it('version (server part)', async () => {
    const r = await same(() => [
      'version',
      '--format',
      '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}',
    ]);
    expect(r.stdout).toMatch(/^20\.10\.\S+ 1\.41 linux\n$/);
  });

  it('create, start, ps -a', async () => {
    const c = await same((p) => ['create', '--name', `${p}c1`, ...NET, IMG, 'sleep', '300']);
    expect(c).toEqual({ stdout: '<ID>\n', stderr: '', code: 0 });
    expect(await same((p) => ['start', `${p}c1`])).toEqual({ stdout: 'P-c1\n', stderr: '', code: 0 });
    const ps = await same((p) => [
      'ps',
      '-a',
      '--filter',
      `name=${p}`,
      '--format',
      '{{.Names}} {{.Image}} {{.State}}',
    ]);
    expect(ps.stdout).toBe('P-c1 busybox:local running\n');
  });

  it('run -d', async () => {
    expect(await same((p) => ['run', '-d', '--name', `${p}d`, ...NET, IMG, 'sleep', '300'])).toMatchObject({
      stdout: '<ID>\n',
      code: 0,
    });
  });

  it('run --rm in the foreground (stdout, stderr, exit code)', async () => {
    const r = await same(() => ['run', '--rm', ...NET, IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3 });
  });

  it('run -i with piped stdin', async () => {
    const r = await same(() => ['run', '-i', '--rm', ...NET, IMG, 'cat'], { input: 'piped-in\nline 2\n' });
    expect(r).toEqual({ stdout: 'piped-in\nline 2\n', stderr: '', code: 0 });
  });

  it('logs', async () => {
    await same((p) => ['run', '--name', `${p}l`, ...NET, IMG, 'sh', '-c', 'echo L1; echo L2 >&2']);
    expect(await same((p) => ['logs', `${p}l`])).toEqual({ stdout: 'L1\n', stderr: 'L2\n', code: 0 });
  });

  it('exec (plain and -i with stdin)', async () => {
    expect(await same((p) => ['exec', `${p}d`, 'sh', '-c', 'echo in-exec; exit 4'])).toEqual({
      stdout: 'in-exec\n',
      stderr: '',
      code: 4,
    });
    expect(await same((p) => ['exec', '-i', `${p}d`, 'cat'], { input: 'exec stdin\n' })).toEqual({
      stdout: 'exec stdin\n',
      stderr: '',
      code: 0,
    });
  });

  it('cp into and out of a container (archive put / get through the chain)', async () => {
    writeFileSync(`${dir}/in.txt`, 'copied in\n');
    expect(await same((p) => ['cp', `${dir}/in.txt`, `${p}d:/in.txt`])).toMatchObject({ code: 0 });
    expect(await same((p) => ['exec', `${p}d`, 'cat', '/in.txt'])).toEqual({
      stdout: 'copied in\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['cp', `${p}d:/in.txt`, `${dir}/${p}out.txt`])).toMatchObject({ code: 0 });
    expect(readFileSync(`${dir}/dd-out.txt`, 'utf8')).toBe('copied in\n');
    expect(readFileSync(`${dir}/cc-out.txt`, 'utf8')).toBe('copied in\n');
  });

  it('top, pause/unpause, rename', async () => {
    // ps prints STIME as HH:MM for a process started today and as MonDD (`Dec04`) once the day has
    // changed: a run across midnight saw the second form. Either is a start time.
    const day = (out: string) => out.replace(/\b[A-Z][a-z]{2}\d{2}\b/g, 'N');
    const top = await same((p) => ['top', `${p}d`], { numbers: true, stdout: day });
    expect(top.stdout).toMatch(/^UID PID PPID C STIME TTY TIME CMD\nroot N N N N \? N sleep N\n$/);
    expect(await same((p) => ['pause', `${p}d`])).toEqual({ stdout: 'P-d\n', stderr: '', code: 0 });
    expect(await same((p) => ['unpause', `${p}d`])).toEqual({ stdout: 'P-d\n', stderr: '', code: 0 });
    expect(await same((p) => ['rename', `${p}c1`, `${p}c2`])).toEqual({ stdout: '', stderr: '', code: 0 });
  });

  it('stop, wait, kill', async () => {
    expect(await same((p) => ['stop', '-t', '1', `${p}c2`])).toEqual({
      stdout: 'P-c2\n',
      stderr: '',
      code: 0,
    });
    // sleep as pid 1 ignores TERM, so stop had to KILL it: 137.
    expect(await same((p) => ['wait', `${p}c2`])).toEqual({ stdout: '137\n', stderr: '', code: 0 });
    expect(await same((p) => ['kill', `${p}d`])).toEqual({ stdout: 'P-d\n', stderr: '', code: 0 });
  });

  it('events (bounded by --since/--until) for the same history', async () => {
    const until = String(Math.ceil(Date.now() / 1000) + 1);
    await new Promise((r) => setTimeout(r, 1_100)); // --until must be in the past for the stream to end
    const r = await same((p) => [
      'events',
      '--since',
      started,
      '--until',
      until,
      '--filter',
      `container=${p}d`,
      '--format',
      '{{.Action}}',
    ]);
    expect(r.stdout.split('\n')).toEqual(
      expect.arrayContaining(['create', 'start', 'pause', 'unpause', 'kill', 'die']),
    );
  });

  it('inspect of a missing object', async () => {
    const r = await same(() => ['inspect', 'nosuch-object-x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such object: nosuch-object-x');
  });

  it('rm -f and images', async () => {
    expect(await same((p) => ['rm', '-f', `${p}c2`, `${p}d`, `${p}l`])).toEqual({
      stdout: 'P-c2\nP-d\nP-l\n',
      stderr: '',
      code: 0,
    });
    expect(await same(() => ['images', '--format', '{{.Repository}}:{{.Tag}}'])).toEqual({
      stdout: 'busybox:local\n',
      stderr: '',
      code: 0,
    });
  });
});
