/**
 * `docker import` (the docker CLI 28.2) through `dockerserver → simulator`, compared with the same
 * commands against a private real dockerd: a tar made with the system's `tar` (busybox, two text files)
 * becomes an image whose files a container reads, `docker export` gives back and `docker history`
 * describes the same way; gzip is read as well; the layer's diff id is the digest of the tar as sent,
 * on both. What the simulator cannot do (fetch a URL) is a 501 naming it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../src/backends/simulator/tar.js';
import { docker, runProcess, type SwarmdProcess, startSwarmd } from '../harness/index.js';
import { busyboxPath } from '../harness/install.js';
import { both, type Pair, startPair } from './cli-sim.js';

describe('docker import: simulator vs a real dockerd', () => {
  let p: Pair;
  let tar: string;
  beforeAll(async () => {
    p = await startPair();
    const root = join(p.dir, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    mkdirSync(join(root, 'etc', 'greeting'), { recursive: true });
    writeFileSync(join(root, 'bin', 'busybox'), readFileSync(busyboxPath()), { mode: 0o755 });
    for (const c of ['sh', 'cat', 'ls']) symlinkSync('busybox', join(root, 'bin', c));
    writeFileSync(join(root, 'hello.txt'), 'hello from a tar\n');
    writeFileSync(join(root, 'etc', 'greeting', 'a.txt'), 'a\n');
    tar = join(p.dir, 'rootfs.tar');
    expect((await runProcess('tar', ['-C', root, '-cf', tar, '.'])).code).toBe(0);
    expect((await runProcess('sh', ['-c', `gzip -c ${tar} > ${tar}.gz`])).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  async function same(args: string[]) {
    const r = await both(p, args);
    expect(r.sim, args.join(' ')).toEqual(r.real);
    return r.sim;
  }

  /** Raw (not normalised) output of `args` on each side. */
  async function raw(args: string[]): Promise<[string, string]> {
    const out: string[] = [];
    for (const host of [p.sim, p.real]) {
      const r = await docker(args, { host });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      out.push(r.stdout);
    }
    return [out[0]!, out[1]!];
  }

  it('a tar becomes an image: run, history, inspect, export, diff; gzip too', {
    timeout: 120_000,
  }, async () => {
    expect(await same(['import', tar, 'imp:1'])).toMatchObject({ stdout: 'sha256:<ID>\n', code: 0 });
    await same(['image', 'ls', 'imp', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
    await same(['history', 'imp:1', '--format', '{{.CreatedBy}}|{{.Comment}}|{{.Size}}']);
    await same([
      'inspect',
      'imp:1',
      '--format',
      '{{.Comment}}|{{.Config.Cmd}}|{{.Config.Env}}|{{.Config.Entrypoint}}|{{len .RootFS.Layers}}|{{.Parent}}|{{.Size}}',
    ]);
    // The layer's diff id is the sha256 of the tar as sent, on both.
    const digest = `sha256:${createHash('sha256').update(readFileSync(tar)).digest('hex')}`;
    expect(await raw(['inspect', 'imp:1', '--format', '{{index .RootFS.Layers 0}}'])).toEqual([
      `${digest}\n`,
      `${digest}\n`,
    ]);
    expect(
      await same(['run', '--rm', '--network', 'none', 'imp:1', 'cat', '/hello.txt', '/etc/greeting/a.txt']),
    ).toMatchObject({ stdout: 'hello from a tar\na\n', code: 0 });
    // No command: an imported image has none unless --change gives one.
    expect((await same(['run', '--rm', '--network', 'none', 'imp:1'])).code).not.toBe(0);

    await same(['create', '--name', 'impc', '--network', 'none', 'imp:1', 'sh']);
    await same(['diff', 'impc']);
    const names: string[][] = [];
    for (const host of [p.sim, p.real]) {
      const file = join(p.dir, `imp-export-${names.length}.tar`);
      expect((await docker(['export', '-o', file, 'impc'], { host })).code).toBe(0);
      const entries = readTar(readFileSync(file));
      expect(entries.find((e) => e.name === 'hello.txt')?.data.toString()).toBe('hello from a tar\n');
      names.push(entries.map((e) => e.name).sort());
    }
    expect(names[0]).toEqual(names[1]);
    expect(names[0]).toEqual(expect.arrayContaining(['bin/busybox', 'bin/cat', 'etc/greeting/a.txt']));

    // gzip, a message, changes (repeated --change), the tag given apart from the name.
    const gz = await same([
      'import',
      '-m',
      'from gzip',
      '-c',
      'CMD ["cat","/hello.txt"]',
      '-c',
      'ENV A=1',
      `${tar}.gz`,
      'imp:gz',
    ]);
    expect(gz).toMatchObject({ stdout: 'sha256:<ID>\n', code: 0 });
    await same(['inspect', 'imp:gz', '--format', '{{.Comment}}|{{.Config.Cmd}}|{{.Config.Env}}']);
    expect(await raw(['inspect', 'imp:gz', '--format', '{{index .RootFS.Layers 0}}'])).toEqual([
      `${digest}\n`,
      `${digest}\n`,
    ]);
    expect(await same(['run', '--rm', '--network', 'none', 'imp:gz'])).toMatchObject({
      stdout: 'hello from a tar\n',
      code: 0,
    });
    // From stdin, untagged.
    const piped = await both(p, ['import', '-'], { input: readFileSync(tar) });
    expect(piped.sim.code).toBe(0);
    expect(piped.sim.code).toBe(piped.real.code);
    await same(['rm', 'impc']);
    await same(['rmi', 'imp:1', 'imp:gz']);
  });

  it("through swarmd's default chain (no stage arguments, no local dockerd: dockerserver → simulator)", {
    timeout: 60_000,
  }, async () => {
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = p.dir;
    let swarmd: SwarmdProcess | undefined;
    try {
      swarmd = await startSwarmd([], 30_000);
      const host = /export DOCKER_HOST=(\S+)/.exec(swarmd.stdout())?.[1];
      expect(host).toBe(`unix://${join(p.dir, 'swarmd.sock')}`);
      expect(swarmd.stderr()).toMatch(/simulat/);
      const imported = await docker(['import', tar, 'def:1'], { host: host! });
      expect(imported).toMatchObject({ code: 0, stdout: expect.stringMatching(/^sha256:[0-9a-f]{64}\n$/) });
      expect(await docker(['run', '--rm', 'def:1', 'cat', '/hello.txt'], { host: host! })).toMatchObject({
        code: 0,
        stdout: 'hello from a tar\n',
      });
      expect((await docker(['create', '--name', 'defc', 'def:1', 'sh'], { host: host! })).code).toBe(0);
      const file = join(p.dir, 'default-export.tar');
      expect((await docker(['export', '-o', file, 'defc'], { host: host! })).code).toBe(0);
      const back = readTar(readFileSync(file)).find((e) => e.name === 'etc/greeting/a.txt');
      expect(back?.data.toString()).toBe('a\n');
    } finally {
      await swarmd?.stop();
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });

  it('a bad name is refused as dockerd refuses it; a URL is a 501 naming the simulator', {
    timeout: 60_000,
  }, async () => {
    const bad = await same(['import', tar, 'Bad:1']);
    expect(bad.code).not.toBe(0);
    const notTar = join(p.dir, 'not-a.tar');
    writeFileSync(notTar, 'this is not a tar archive, just some text that is long enough\n'.repeat(20));
    const garbage = await same(['import', notTar, 'junk:1']);
    expect(garbage.code).not.toBe(0);
    const cut = join(p.dir, 'cut.tar');
    writeFileSync(cut, readFileSync(tar).subarray(0, 700));
    await same(['import', cut, 'cut:1']);
    const url = await docker(['import', 'http://127.0.0.1:9/x.tar'], { host: p.sim });
    expect(url.code).toBe(1);
    expect(url.stderr).toContain('the simulator does not implement importing from a URL');
  });
});
