import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, docker, pingSocket, startDaemons, stopDaemons } from './index.js';
import { until } from './until.js';

/** True when every thread of `pid` is in state T (stopped), read from /proc. */
function allThreadsStopped(pid: number): boolean {
  return readdirSync(`/proc/${pid}/task`).every((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'T';
  });
}

describe('private dockerd harness', () => {
  let ds: Daemon[] = [];
  beforeAll(async () => {
    ds = await startDaemons(2, { tcp: true, labels: { zone: 'z1' } });
  });
  afterAll(async () => {
    await stopDaemons(ds);
  });

  it('gives each daemon its own hostname, labels, tcp listener and busybox:local', async () => {
    const [a, b] = ds as [Daemon, Daemon];
    const info = await docker(['info', '--format', '{{.Name}} {{json .Labels}}'], { host: a.host });
    expect(info.code).toBe(0);
    expect(info.stdout).toContain('node1');
    expect(info.stdout).toContain('zone=z1');
    const viaTcp = await docker(['info', '--format', '{{.Name}}'], { host: b.tcp! });
    expect(viaTcp.stdout.trim()).toBe('node2');
    const run = await docker(
      ['run', '--rm', '--network', 'none', 'busybox:local', 'sh', '-c', 'cat; exit 3'],
      {
        host: a.host,
        input: 'piped\n',
      },
    );
    expect(run).toMatchObject({ stdout: '', code: 3 });
    const run2 = await docker(['run', '--rm', '-i', '--network', 'none', 'busybox:local', 'cat'], {
      host: a.host,
      input: 'piped\n',
    });
    expect(run2).toMatchObject({ stdout: 'piped\n', code: 0 });
  });

  it('STOP/CONT hangs and resumes; KILL + restart brings it back with a new pid', async () => {
    const a = ds[0]!;
    a.kill('SIGSTOP');
    // kill() only queues the signal: each of dockerd's threads stops when next scheduled, and on a
    // loaded machine one may still answer a ping meanwhile. Ask once every thread is stopped.
    await until(() => allThreadsStopped(a.pid), 5_000, 'dockerd threads to stop', 20);
    expect(await pingSocket(a.socket, 500)).toBe(false);
    a.kill('SIGCONT');
    expect(await pingSocket(a.socket, 5_000)).toBe(true);
    const before = a.pid;
    a.kill('SIGKILL');
    await a.restart();
    expect(a.pid).not.toBe(before);
    expect(a.running).toBe(true);
    expect(await pingSocket(a.socket)).toBe(true);
  });

  it('stop() removes the daemon and its folder', async () => {
    const b = ds[1]!;
    await b.stop();
    expect(b.running).toBe(false);
    expect(existsSync(b.dir)).toBe(false);
  });
});
