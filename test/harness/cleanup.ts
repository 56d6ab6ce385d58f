/**
 * What a dead or stopped dockerd leaves behind (containerd, shims, mounts), found and removed by pid
 * and path only: processes whose command line names the daemon's private folder, mounts under it.
 * Nothing is ever killed by program name, so other daemons on the machine are safe.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './until.js';

/** Pids whose command line mentions `dir` (containerd and shims started for one daemon). */
function pidsUsing(dir: string): number[] {
  const out: number[] = [];
  for (const entry of spawnSync('ls', ['/proc']).stdout.toString().split('\n')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) out.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Kills (by pid) the helpers a dead dockerd leaves behind in `dir`, and waits until they are gone.
 * Without this a quick restart after SIGKILL races the old containerd (it dies by pdeathsig a moment
 * later): the new dockerd finds it "running" through its pid file, then times out connecting to it.
 */
export async function reapHelpers(dir: string, includeShims: boolean): Promise<void> {
  const pids = pidsUsing(dir).filter((pid) => {
    if (includeShims) return true;
    try {
      return !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('containerd-shim');
    } catch {
      return false;
    }
  });
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // Up to 10 s; it goes on regardless.
  await until(() => !pids.some(alive), 10_000, 'killed helpers to exit', 50).catch(() => {});
  rmSync(join(dir, 'x', 'containerd', 'containerd.pid'), { force: true });
}

/** Mount points under `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
  return points.sort((a, b) => b.length - a.length);
}
