/**
 * Makes sure the machine can run private Docker daemons: `dockerd` (Debian's docker.io, API 1.41) and a
 * static busybox for the test image. On a fresh Debian machine it runs exactly the install line of
 * /work/shared/docs/test-bed.md (we are root there); when `dockerd` is already present it does nothing.
 * Concurrent test workers serialise on a lock directory so apt runs once.
 * @module
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the binaries the harness needs live. */
export const DOCKERD = '/usr/sbin/dockerd';
/** The docker CLI 28.2 preinstalled on the test machines (negotiates down to 1.41). */
export const DOCKER_CLI = '/usr/local/bin/docker';
/** Busybox from busybox-static: a single static binary, so the image needs no libraries. */
export const BUSYBOX = '/bin/busybox';

const LOCK = '/tmp/sw-install.lock';

function present(): boolean {
  return existsSync(DOCKERD) && existsSync(BUSYBOX);
}

function log(msg: string): void {
  process.stderr.write(`[test-bed] ${msg}\n`);
}

let installing: Promise<void> | undefined;

/**
 * Installs docker.io and busybox-static with apt when missing. Idempotent and cheap once installed.
 * Throws with apt's output when the install fails (no network, not root).
 */
export function ensureDocker(): Promise<void> {
  if (present()) return Promise.resolve();
  installing ??= install().finally(() => {
    installing = undefined;
  });
  return installing;
}

async function install(): Promise<void> {
  // mkdir is atomic: the worker that creates the lock installs, the others wait for it to go away.
  for (;;) {
    if (present()) return;
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      log('another worker is installing docker.io; waiting');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    if (present()) return;
    log('dockerd missing: apt-get update && apt-get install -y docker.io busybox-static (about a minute)');
    const started = Date.now();
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
    log('apt-get update done; installing');
    await run('apt-get', ['install', '-y', 'docker.io', 'busybox-static'], { env, maxBuffer: 64 << 20 });
    if (!present()) throw new Error(`apt-get finished but ${DOCKERD} or ${BUSYBOX} is still missing`);
    log(`installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}
