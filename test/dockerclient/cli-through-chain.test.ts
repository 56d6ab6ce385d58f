/**
 * The real docker CLI through dockerserver → dockerclient → a private dockerd, compared with the same
 * command run directly against that dockerd: same stdout, stderr and exit code once ids and the
 * per-path name prefix are normalised.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import { type Daemon, type DockerRunResult, docker, startDaemons, stopDaemons } from '../harness/index.js';
import { testContext } from './support.js';

/** The tiny adapter: dockerserver's downstream Sender delivers straight into dockerclient's handle(). */
function senderTo(stage: StageInstance): Sender<Message> {
  let closed = false;
  return {
    [kSender]: true,
    send(m: Message) {
      void stage.handle(m);
      return undefined;
    },
    close() {
      closed = true;
    },
    get closed() {
      return closed;
    },
  };
}

const NET = ['--network', 'none'];
const IMG = 'busybox:local';

describe('docker CLI through dockerserver → dockerclient → dockerd, vs direct', () => {
  let d: Daemon;
  let dc: DockerClient;
  let server: StageInstance;
  let dir: string;
  let chainHost: string;
  const started = String(Math.floor(Date.now() / 1000) - 1);

  beforeAll(async () => {
    [d] = (await startDaemons(1)) as [Daemon];
    dc = new DockerClient(parseEngineArgs([d.host]), testContext('dockerclient#1'));
    await dc.start();
    dir = mkdtempSync('/tmp/sw-chain-');
    chainHost = `unix://${dir}/s.sock`;
    server = await dockerserverStage.create([chainHost], {
      ...testContext('dockerserver#0'),
      downstream: senderTo(dc),
    });
    await server.start?.();
  });
  afterAll(async () => {
    await server?.stop?.();
    await dc?.stop();
    if (d) await stopDaemons([d]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const norm = (r: DockerRunResult, prefix: string) => {
    const clean = (s: string) => s.replaceAll(prefix, 'P-').replace(/[0-9a-f]{64}/g, '<ID>');
    return { stdout: clean(r.stdout), stderr: clean(r.stderr), code: r.code };
  };

  /** Runs `args(prefix)` directly, then through the chain; returns both normalised. */
  async function both(args: (p: string) => string[], opts: { input?: string } = {}) {
    const direct = await docker(args('dd-'), { host: d.host, ...opts });
    const chained = await docker(args('cc-'), { host: chainHost, ...opts });
    return { direct: norm(direct, 'dd-'), chained: norm(chained, 'cc-') };
  }

  async function same(args: (p: string) => string[], opts: { input?: string; numbers?: boolean } = {}) {
    const { direct, chained } = await both(args, opts);
    if (opts.numbers) {
      // Two different containers: pids and start times differ, the shape must not.
      for (const r of [direct, chained])
        r.stdout = r.stdout.replace(/\b\d[\d:]*\b/g, 'N').replace(/ +/g, ' ');
    }
    expect(chained).toEqual(direct);
    return direct;
  }

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
    const top = await same((p) => ['top', `${p}d`], { numbers: true });
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
