/**
 * Makes sure the real Docker engine, a static busybox and the real clients the tests drive
 * (docker-compose 1.29, docker-py, chromium for the admin page, promtool, the distribution registry) are on this machine (test-bed.md: a fresh Debian machine has none
 * of them). Installs what is missing with apt-get; we run as root.
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

/** Debian's python with the docker module (python3-docker); the `python3` first on PATH may lack it. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Debian's docker-compose 1.29. */
export const DOCKER_COMPOSE = '/usr/bin/docker-compose';

/** Debian's chromium, for playwright-core's `executablePath` (no browser download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Debian's distribution registry (docker-registry 2.8), for push/pull without the internet. */
export const REGISTRY_BIN = '/usr/bin/docker-registry';

/** The Debian packages the tests need, each with a check that it is already there. */
function missingPackages(): string[] {
  const busyboxOk = existsSync('/bin/busybox') || existsSync('/usr/bin/busybox');
  // Where python3-docker puts the module: a file check, not a python start-up on every startDaemons.
  const pyDockerOk = existsSync('/usr/lib/python3/dist-packages/docker/__init__.py');
  const wanted: [string, boolean][] = [
    ['docker.io', has('dockerd')],
    ['busybox-static', busyboxOk],
    ['python3-docker', pyDockerOk],
    ['docker-compose', existsSync(DOCKER_COMPOSE)],
    // `ss` (leak checks count connections whose client end is open).
    ['iproute2', has('ss')],
    // The admin page's browser test (Debian's chromium driven by playwright-core) and `promtool check
    // metrics` for /metrics (Debian's prometheus package ships it).
    ['chromium', existsSync(CHROMIUM)],
    ['prometheus', has('promtool')],
    // docker-py 5.0.3's own integration suite, run as a compared suite (test/clients/docker-py-suite.ts),
    // and a private sshd for `dockerclient ssh://` (test-bed.md).
    ['python3-pytest', existsSync('/usr/lib/python3/dist-packages/pytest')],
    ['python3-pytest-timeout', existsSync('/usr/lib/python3/dist-packages/pytest_timeout.py')],
    ['python3-paramiko', existsSync('/usr/lib/python3/dist-packages/paramiko')],
    ['openssh-server', existsSync('/usr/sbin/sshd')],
    // The distribution registry, run privately on loopback for push/pull tests (registry.ts).
    ['docker-registry', existsSync(REGISTRY_BIN)],
  ];
  return wanted.filter(([, ok]) => !ok).map(([name]) => name);
}

/**
 * Installs docker.io, busybox-static, python3-docker and docker-compose when any is absent
 * (idempotent, fast when present). Throws naming the failed command when the install fails, so a
 * broken test bed is obvious. vitest's globalSetup calls it once per run, so parallel workers never
 * race on apt's lock.
 */
export function ensureDockerInstalled(): void {
  const missing = missingPackages();
  if (missing.length === 0) return;
  const install = `apt-get install -y ${missing.join(' ')}`;
  log(`missing ${missing.join(', ')}: apt-get update && ${install}`);
  const run = (cmd: string) => {
    log(`$ ${cmd}`);
    const r = spawnSync('sh', ['-c', cmd], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`test bed install failed (exit ${r.status}): ${cmd}`);
  };
  run('apt-get update');
  run(install);
  const still = missingPackages();
  if (still.length > 0) throw new Error(`still missing after apt-get install: ${still.join(', ')}`);
  log(`installed ${missing.join(', ')}`);
}
