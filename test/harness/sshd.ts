/**
 * A private sshd for `ssh://` transports (test-bed.md): Debian's openssh-server run as `sshd -D` on a
 * free loopback port with its own host key, config and an authorized key made here; the session
 * environment points `docker` at one private daemon (`SetEnv DOCKER_HOST=…`), so `ssh … docker system
 * dial-stdio` reaches it. No system service, nothing outside its own folder (but /run/sshd, which
 * sshd's privilege separation needs).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './daemons.js';
import { startServiceProcess } from './service-process.js';

/** A running private sshd. */
export interface Sshd {
  port: number;
  /** `ssh://root@127.0.0.1:PORT`. */
  url: string;
  /** The client's private key (for `ssh -i`, `dockerclient --ssh-identity`). */
  identity: string;
  /** A known_hosts file with this sshd's host key (for `UserKnownHostsFile=`). */
  knownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

function keygen(file: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', file]);
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

/** Starts sshd on loopback with `dockerHost` as the sessions' DOCKER_HOST. */
export async function startSshd(dockerHost: string): Promise<Sshd> {
  const dir = mkdtempSync('/tmp/sw-ssh-');
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'id'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'id.pub')), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'known_hosts'),
    `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}\n`,
  );
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `SetEnv DOCKER_HOST=${dockerHost}`,
      '',
    ].join('\n'),
  );
  const { stop } = await startServiceProcess({
    bin: '/usr/sbin/sshd',
    args: ['-D', '-e', '-f', join(dir, 'sshd_config')],
    dir,
    label: 'sshd',
    readyMs: 10_000,
    ready: (log) => log.includes('Server listening'),
  });
  return {
    port,
    url: `ssh://root@127.0.0.1:${port}`,
    identity: join(dir, 'id'),
    knownHosts: join(dir, 'known_hosts'),
    dir,
    stop,
  };
}
