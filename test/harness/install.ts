/**
 * Makes sure the real Docker engine and a static busybox are on this machine (test-bed.md: a fresh
 * Debian machine has neither). Installs them with apt-get when `dockerd` is missing; we run as root.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the docker CLI 28.2 lives (preinstalled; the Debian package's CLI would be older). */
export const DOCKER_CLI = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

/** A statically linked busybox to build the `busybox:local` image from. */
export function busyboxPath(): string {
  for (const p of ['/bin/busybox', '/usr/bin/busybox']) if (existsSync(p)) return p;
  throw new Error('busybox not found; install busybox-static');
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function log(line: string): void {
  process.stderr.write(`[harness] ${line}\n`);
}

/**
 * Installs docker.io and busybox-static when dockerd or busybox is absent (idempotent, fast when
 * present). Throws naming the failed command when the install fails, so a broken test bed is obvious.
 * vitest's globalSetup calls it once per run, so parallel workers never race on apt's lock.
 */
export function ensureDockerInstalled(): void {
  const busyboxOk = existsSync('/bin/busybox') || existsSync('/usr/bin/busybox');
  if (has('dockerd') && busyboxOk) return;
  log('dockerd or busybox missing: apt-get update && apt-get install -y docker.io busybox-static');
  const run = (cmd: string) => {
    log(`$ ${cmd}`);
    const r = spawnSync('sh', ['-c', cmd], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`test bed install failed (exit ${r.status}): ${cmd}`);
  };
  run('apt-get update');
  run('apt-get install -y docker.io busybox-static');
  if (!has('dockerd')) throw new Error('dockerd still missing after installing docker.io');
  log('docker.io installed');
}
