import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAnswers, LOCAL_DOCKER_SOCKET } from '../../src/cli/default-chain.js';
import { main } from '../../src/cli/main.js';
import { docker, type SwarmdProcess, startSwarmd, until } from '../harness/index.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: '', err: '' };
  out.on('data', (d) => (chunks.out += d));
  err.on('data', (d) => (chunks.err += d));
  const code = await main(argv, out, err);
  return { code, ...chunks };
}

describe('swarmd options', () => {
  it('--help shows every stage with usage and an example, and the exit codes', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const stage of ['dockerserver', 'simulator', 'aggregate', 'debug'])
      expect(out).toMatch(new RegExp(`^  ${stage}`, 'm'));
    expect(out.match(/example: /g)?.length).toBeGreaterThanOrEqual(4);
    expect(out).toMatch(/Exit codes:/);
  });

  it('--list and --version', async () => {
    expect((await run(['--list'])).out).toMatch(/^simulator\s+\S/m);
    expect((await run(['-v'])).out).toMatch(/^swarmd \d+\.\d+\.\d+\n$/);
  });

  it('usage errors exit 2 and name the argument and the fix', async () => {
    expect(await run(['--bogus'])).toMatchObject({
      code: 2,
      err: expect.stringMatching(/unknown option --bogus/),
    });
    expect(await run(['--log-level', 'loud'])).toMatchObject({ code: 2 });
    const unknown = await run(['simulator', 'nosuchstage a']);
    expect(unknown).toMatchObject({
      code: 2,
      err: expect.stringMatching(/argument 2: unknown stage "nosuchstage"/),
    });
    const badArgs = await run(['debug extra', 'simulator']);
    expect(badArgs).toMatchObject({
      code: 2,
      err: expect.stringMatching(/debug#1.*argument 1.*takes no arguments/),
    });
  });
});

describe('swarmd signals (in process)', () => {
  it('SIGTERM stops the chain and resolves 0; a second one exits at once with 1', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    err.on('data', (d) => (text += d));
    const exits: number[] = [];
    const done = main(['simulator sig'], out, err, (code) => exits.push(code));
    await until(() => /stage running/.test(text), 15_000, 'stage running');
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([1]);
    expect(await done).toBe(0);
    expect(text).toMatch(/SIGTERM again: exiting without waiting/);
    expect(process.listeners('SIGTERM')).toHaveLength(0);
  });

  it('with no stages: dockerserver on the per-user socket in front of the local daemon or the simulator', async () => {
    const runtime = mkdtempSync(join(tmpdir(), 'swd-xdg-'));
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtime;
    try {
      const out = new PassThrough();
      const err = new PassThrough();
      let stdout = '';
      let stderr = '';
      out.on('data', (d) => (stdout += d));
      err.on('data', (d) => (stderr += d));
      const done = main([], out, err, () => {});
      await until(() => /stages running/.test(stderr), 15_000, 'stages running');
      const sock = join(runtime, 'swarmd.sock');
      expect(stdout).toBe(`export DOCKER_HOST=unix://${sock}\n`);
      const local = await dockerAnswers(LOCAL_DOCKER_SOCKET);
      expect(stderr).toMatch(local ? /stage dockerclient#2 up/ : /stage simulator#2 up/);
      const ping = await docker(['version', '--format', '{{.Server.APIVersion}}'], {
        host: `unix://${sock}`,
      });
      expect(ping).toMatchObject({ code: 0, stdout: expect.stringMatching(/^1\.\d+\n$/) });
      process.emit('SIGTERM', 'SIGTERM');
      expect(await done).toBe(0);
      expect(existsSync(sock)).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
      rmSync(runtime, { recursive: true, force: true });
    }
  });

  it('a signal during startup stops the stages once they are up', async () => {
    const err = new PassThrough();
    let text = '';
    err.on('data', (d) => (text += d));
    const done = main(['simulator early'], new PassThrough(), err, () => {});
    process.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(0);
    expect(text).toMatch(/SIGINT: stopping stages in order[\s\S]*stopped/);
    expect(process.listeners('SIGINT')).toHaveLength(0);
  });
});

describe('swarmd process with the real docker CLI', () => {
  let dir: string;
  let sock: string;
  let swarmd: SwarmdProcess;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swd-'));
    sock = join(dir, 's.sock');
    swarmd = await startSwarmd([`dockerserver unix://${sock}`, 'simulator node1'], 15_000);
  });

  afterAll(() => {
    swarmd.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows each stage coming up, back end first', () => {
    const stderr = swarmd.stderr();
    expect(stderr.indexOf('stage simulator#2 up')).toBeGreaterThanOrEqual(0);
    expect(stderr.indexOf('stage simulator#2 up')).toBeLessThan(stderr.indexOf('stage dockerserver#1 up'));
  });

  it('runs containers, lists them and reports missing ones like dockerd', async () => {
    const host = `unix://${sock}`;
    expect(
      await docker(['run', '--rm', 'busybox:local', 'echo', 'hello from the chain'], { host }),
    ).toMatchObject({
      code: 0,
      stdout: 'hello from the chain\n',
    });
    const exit3 = await docker(['run', '--rm', 'busybox:local', 'sh', '-c', 'exit 3'], { host });
    expect(exit3.code).toBe(3);
    expect(
      (await docker(['run', '-d', '--name', 'web', 'busybox:local', 'sleep', '60'], { host })).code,
    ).toBe(0);
    const ps = await docker(['ps', '--format', '{{.Names}} {{.Status}}'], { host });
    expect(ps.stdout).toMatch(/^web Up /);
    const missing = await docker(['inspect', 'nosuch'], { host });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No such object: nosuch/);
    expect((await docker(['rm', '-f', 'web'], { host })).code).toBe(0);
  });

  it('stops in order on SIGTERM, exits 0 and removes its socket', async () => {
    expect(await swarmd.stop()).toBe(0);
    expect(swarmd.stderr()).toMatch(/SIGTERM: stopping stages in order/);
    expect(existsSync(sock)).toBe(false);
  });
});
