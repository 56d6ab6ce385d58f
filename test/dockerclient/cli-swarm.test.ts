/**
 * Docker swarm mode and plugins passed through dockerserver → dockerclient to a private dockerd that
 * the chain itself puts in swarm mode (`docker swarm init`), each command compared with the same one
 * straight to the daemon: node ls, service create/ls/ps/rm, secret and config create/ls/rm, and the
 * plugin family with a plugin made locally (`plugin create` uploads its rootfs; no registry here).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../harness/index.js';
import { type Chain, comparer, IMG, startChain, stopChain } from './cli-chain.js';

/** Swarm object ids (25 lower-case base-36 characters). */
const swarmIds = (s: string) => s.replace(/\b[a-z0-9]{25}\b/g, '<sid>');

describe('swarm mode and plugins through the chain, vs direct', () => {
  let chain: Chain;
  const { same } = comparer(() => chain);

  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    if (chain) await docker(['swarm', 'leave', '--force'], { host: chain.d.host });
    await stopChain(chain);
  });

  it('swarm init through the chain; swarm inspect, node ls the same both ways', {
    timeout: 60_000,
  }, async () => {
    const init = await docker(['swarm', 'init', '--advertise-addr', '127.0.0.1'], {
      host: chain.host,
      timeoutMs: 45_000,
    });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/Swarm initialized: current node \([a-z0-9]{25}\) is now a manager/);
    expect(chain.ops).toContain('swarm.init');
    const inspect = await same(() => ['swarm', 'ca', '--quiet'], {
      stdout: (s) => s.replace(/[A-Za-z0-9+/=]{20,}/g, 'B'),
    });
    expect(inspect.code).toBe(0);
    const nodes = await same(() => [
      'node',
      'ls',
      '--format',
      '{{.Hostname}} {{.Status}} {{.ManagerStatus}}',
    ]);
    expect(nodes.stdout).toBe('node1 Ready Leader\n');
    expect(chain.ops).toContain('node.list');
  });

  it('service create, ls, ps, inspect, rm', { timeout: 60_000 }, async () => {
    const create = await same(
      (p) => ['service', 'create', '-d', '--name', `${p}svc`, '--replicas', '1', IMG, 'sleep', '1000'],
      {
        stdout: swarmIds,
      },
    );
    // No registry: dockerd warns that it cannot pin the image's digest (on both paths alike).
    expect(create).toMatchObject({ stdout: '<sid>\n', code: 0 });
    expect(create.stderr).toMatch(/^image busybox:local could not be accessed on a registry/);
    const ls = await same((p) => [
      'service',
      'ls',
      '--filter',
      `name=${p}`,
      '--format',
      '{{.Name}} {{.Mode}} {{.Image}}',
    ]);
    expect(ls.stdout).toBe('P-svc replicated busybox:local\n');
    const ps = await same((p) => ['service', 'ps', '--format', '{{.Name}} {{.DesiredState}}', `${p}svc`]);
    expect(ps.stdout).toBe('P-svc.1 Running\n');
    const inspect = await same((p) => [
      'service',
      'inspect',
      '--format',
      '{{.Spec.Name}} {{.Spec.Mode.Replicated.Replicas}}',
      `${p}svc`,
    ]);
    expect(inspect.stdout).toBe('P-svc 1\n');
    expect(await same((p) => ['service', 'rm', `${p}svc`])).toEqual({
      stdout: 'P-svc\n',
      stderr: '',
      code: 0,
    });
    expect(chain.ops).toEqual(
      expect.arrayContaining(['service.create', 'service.list', 'task.list', 'service.remove']),
    );
  });

  it('secret and config create, ls, inspect, rm', async () => {
    for (const kind of ['secret', 'config']) {
      const create = await same((p) => [kind, 'create', '--label', `t=${p}`, `${p}${kind}`, '-'], {
        input: 'top secret\n',
        stdout: swarmIds,
      });
      expect(create).toEqual({ stdout: '<sid>\n', stderr: '', code: 0 });
      const ls = await same((p) => [kind, 'ls', '--filter', `label=t=${p}`, '--format', '{{.Name}}']);
      expect(ls.stdout).toBe(`P-${kind}\n`);
      const inspect = await same((p) => [kind, 'inspect', '--format', '{{.Spec.Name}}', `${p}${kind}`]);
      expect(inspect.stdout).toBe(`P-${kind}\n`);
      expect(await same((p) => [kind, 'rm', `${p}${kind}`])).toEqual({
        stdout: `P-${kind}\n`,
        stderr: '',
        code: 0,
      });
    }
    expect(chain.ops).toEqual(
      expect.arrayContaining(['secret.create', 'secret.list', 'config.create', 'config.remove']),
    );
  });

  it('plugin create (an upload), ls, inspect, disable of a disabled one, rm', async () => {
    // One folder per side: two plugins of identical content would share their blobs (dockerd refuses).
    for (const p of ['dd-', 'cc-']) {
      const dir = join(chain.dir, `${p}plugin`);
      mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
      writeFileSync(join(dir, 'rootfs', 'bin', 'placeholder'), p);
      writeFileSync(
        join(dir, 'config.json'),
        JSON.stringify({
          description: 'swarmd test plugin',
          documentation: 'https://example.invalid',
          entrypoint: ['/bin/placeholder'],
          interface: { types: ['docker.volumedriver/1.0'], socket: 'p.sock' },
          network: { type: 'host' },
        }),
      );
    }
    expect(await same((p) => ['plugin', 'create', `${p}plug`, join(chain.dir, `${p}plugin`)])).toEqual({
      stdout: 'P-plug\n',
      stderr: '',
      code: 0,
    });
    const ls = await same(
      () => ['plugin', 'ls', '--filter', 'enabled=false', '--format', '{{.Name}} {{.Enabled}}'],
      {
        keepNames: true,
      },
    );
    expect(ls.stdout).toBe('cc-plug:latest false\ndd-plug:latest false\n');
    const inspect = await same((p) => [
      'plugin',
      'inspect',
      '--format',
      '{{.Name}} {{.Config.Description}}',
      `${p}plug`,
    ]);
    expect(inspect.stdout).toBe('P-plug:latest swarmd test plugin\n');
    const disable = await same((p) => ['plugin', 'disable', `${p}plug`]);
    expect(disable.code).toBe(1);
    expect(await same((p) => ['plugin', 'rm', `${p}plug`])).toEqual({
      stdout: 'P-plug\n',
      stderr: '',
      code: 0,
    });
    expect(chain.ops).toEqual(
      expect.arrayContaining([
        'plugin.create',
        'plugin.list',
        'plugin.inspect',
        'plugin.disable',
        'plugin.remove',
      ]),
    );
  });
});
