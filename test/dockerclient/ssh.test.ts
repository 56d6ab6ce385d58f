/**
 * `dockerclient ssh://user@host[:port]` against a real sshd (Debian's openssh-server, started by the
 * harness on loopback with its own keys) whose sessions reach a private dockerd: the docker CLI through
 * dockerserver → dockerclient ssh:// compared with the same commands straight to the daemon, including
 * a hijacked `run -i` (stdin half-close over ssh) and a streamed build context; bad addresses and ssh
 * options that would run a local command are refused before anything starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { type Daemon, type Sshd, startDaemons, startSshd, stopDaemons } from '../harness/index.js';
import { comparer, IMG, NET, senderTo } from './cli-chain.js';
import { testContext } from './support.js';

describe('dockerclient ssh:// (a private sshd in front of a private dockerd)', () => {
  let d: Daemon;
  let sshd: Sshd;
  let dc: DockerClient;
  let server: StageInstance;
  let host: string;
  const ops: string[] = [];
  const { same } = comparer(() => ({ d, host }));

  beforeAll(async () => {
    [d] = (await startDaemons(1)) as [Daemon];
    sshd = await startSshd(d.host);
    const args = [
      sshd.url,
      '--ssh-identity',
      sshd.identity,
      '--ssh-option',
      `UserKnownHostsFile=${sshd.knownHosts}`,
    ];
    dc = new DockerClient(parseEngineArgs(args), testContext('dockerclient#ssh'));
    await dc.start();
    host = `unix://${sshd.dir}/s.sock`;
    server = await dockerserverStage.create([host], {
      ...testContext('dockerserver#0'),
      downstream: senderTo(dc, ops),
    });
    await server.start?.();
  });
  afterAll(async () => {
    await server?.stop?.();
    await dc?.stop();
    await sshd?.stop();
    if (d) await stopDaemons([d]);
  });

  it('version, run, run -i with stdin, logs, ps: the same as direct', async () => {
    expect((await same(() => ['version', '--format', '{{.Server.APIVersion}}'])).stdout).toBe('1.41\n');
    expect(
      await same(() => ['run', '--rm', ...NET, IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']),
    ).toEqual({
      stdout: 'out\n',
      stderr: 'err\n',
      code: 3,
    });
    expect(await same(() => ['run', '-i', '--rm', ...NET, IMG, 'cat'], { input: 'over ssh\n' })).toEqual({
      stdout: 'over ssh\n',
      stderr: '',
      code: 0,
    });
    await same((p) => ['run', '--name', `${p}l`, ...NET, IMG, 'echo', 'logged']);
    expect(await same((p) => ['logs', `${p}l`])).toEqual({ stdout: 'logged\n', stderr: '', code: 0 });
    const ps = await same((p) => ['ps', '-a', '--filter', `name=${p}l`, '--format', '{{.Names}} {{.State}}']);
    expect(ps.stdout).toBe('P-l exited\n');
    expect(ops).toEqual(expect.arrayContaining(['container.attach', 'container.logs', 'container.list']));
  });

  it('refuses bad addresses and ssh options that would run a command, before anything starts', () => {
    expect(() => parseEngineArgs(['ssh://-oProxyCommand=x@h'])).toThrow(/bad user name/);
    expect(() => parseEngineArgs(['ssh://u@-oProxyCommand=x'])).toThrow(/not an ssh address|bad host/);
    expect(() => parseEngineArgs(['ssh://u@h', '--ssh-option', 'ProxyCommand=sh -c x'])).toThrow(
      /--ssh-option/,
    );
    expect(() => parseEngineArgs(['ssh://u@h', '--ssh-option', 'LocalCommand=x'])).toThrow(/--ssh-option/);
    expect(() => parseEngineArgs(['ssh://u@h', '--tlsverify'])).toThrow(/TLS options need a tcp/);
    expect(() => parseEngineArgs(['unix:///x', '--ssh-identity', 'k'])).toThrow(/need an ssh:\/\/ address/);
    expect(parseEngineArgs(['ssh://me@example.org:2222']).ssh).toEqual({
      user: 'me',
      host: 'example.org',
      port: 2222,
      options: [],
    });
  });
});
