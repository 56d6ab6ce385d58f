/**
 * docker CLI variants through dockerserver → dockerclient → a private dockerd, each compared with the same
 * command run directly against that dockerd (stdout, stderr, exit code) and with the expected value:
 * signals a foreground `docker run` forwards to its container (SIGINT, SIGTERM; none with
 * `--sig-proxy=false`), `start -a` / `start -ai` with piped stdin, `logs` with `--tail`, `-n`, `-t`,
 * `--since` and `--until`, a streaming `docker stats` killed mid-stream (nothing left open afterwards),
 * `rm -v` (the anonymous volume goes, without `-v` it stays), and the whole `docker inspect` document.
 */
import { describe, expect, it } from 'vitest';
import { type DockerRunResult, docker, dockerLive, until } from '../harness/index.js';
import { chainSuite, IMG, NET, norm, UNTIL_GO } from './cli-chain.js';

/** Pooled sockets dockerclient may keep to the daemon here: small, so a leaked stream socket shows. */
const POOL = 2;
/** Traps INT and TERM with distinct exit codes; says `ready` once both traps are set. */
const TRAPS =
  'trap "echo got-int; exit 7" INT; trap "echo got-term; exit 8" TERM; echo ready; while true; do sleep 0.1; done';

/** `docker inspect`'s document, as far as the test looks into it. */
interface InspectDoc {
  Created: string;
  State: Record<string, unknown>;
  NetworkSettings: Record<string, unknown>;
  [key: string]: unknown;
}

describe('docker CLI signals, start -a, logs, stats, rm -v, inspect through the chain, vs direct', {
  timeout: 60_000,
}, () => {
  const { chain, same, both, hostOf, sides, on, settled } = chainSuite(POOL);
  const ok = async (p: string, args: string[]) => {
    const r = await on(p, args);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };

  /**
   * Watches, directly on dockerd, the signals it is asked to send to `name` (`kill` events, from a second
   * ago on, so the watch cannot miss the first); `until(sig)` resolves with all seen up to `sig`.
   */
  function kills(name: string) {
    const since = ['--since', String(Math.floor(Date.now() / 1000) - 1)];
    const filters = ['--filter', `container=${name}`, '--filter', 'event=kill'];
    const args = ['events', ...since, ...filters, '--format', '{{.Actor.Attributes.signal}}'];
    const cli = dockerLive(args, chain().d.host);
    return {
      async until(sig: string): Promise<string[]> {
        await cli.waitFor(new RegExp(`^${sig}$`, 'm'));
        cli.child.kill('SIGKILL');
        await cli.exited();
        return cli.stdout().split('\n').filter(Boolean);
      },
    };
  }

  /** `docker run` in the foreground, left running once its traps are set (it printed `ready`). */
  async function runTraps(p: string, name: string, extra: string[] = []) {
    const cli = dockerLive(['run', '--name', name, ...extra, ...NET, IMG, 'sh', '-c', TRAPS], hostOf(p));
    await cli.waitFor(/ready\n/);
    return cli;
  }

  for (const [signal, code, num] of [
    ['SIGINT', 7, '2'],
    ['SIGTERM', 8, '15'],
  ] as const) {
    it(`run in the foreground forwards ${signal} to the container (kill?signal=…): its trap's output and exit code`, async () => {
      const results: DockerRunResult[] = [];
      for (const p of sides) {
        const watch = kills(`${p}${signal}`);
        const cli = await runTraps(p, `${p}${signal}`);
        const forwarded = chain().ops.filter((op) => op === 'container.kill').length;
        cli.child.kill(signal);
        results.push(norm(await cli.exited(), p));
        if (p === 'cc-')
          expect(chain().ops.filter((op) => op === 'container.kill').length).toBe(forwarded + 1);
        expect(await watch.until(num), 'kill requests seen by dockerd').toEqual([num]);
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[0]).toEqual({
        stdout: `ready\ngot-${signal.slice(3).toLowerCase()}\n`,
        stderr: '',
        code,
      });
      await settled();
    });
  }

  it('run --sig-proxy=false: SIGINT to the CLI does not reach the container; rm -f ends both', async () => {
    const results: DockerRunResult[] = [];
    for (const p of sides) {
      const name = `${p}noproxy`;
      const watch = kills(name);
      const cli = await runTraps(p, name, ['--sig-proxy=false']);
      cli.child.kill('SIGINT'); // the CLI ignores it: nothing forwarded, nothing ends
      expect(await ok(p, ['inspect', '-f', '{{.State.Running}}', name])).toBe('true\n');
      expect(cli.child.exitCode).toBe(null);
      expect(await ok(p, ['rm', '-f', name])).toBe(`${name}\n`);
      results.push(norm(await cli.exited(), p));
      // Events come in order: a forwarded SIGINT would show before rm -f's SIGKILL.
      expect(await watch.until('9'), 'kill requests seen by dockerd').toEqual(['9']);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ stdout: 'ready\n', stderr: '', code: 137 });
    await settled();
  });

  it("start -a: the created container's output and exit code; start -ai with piped stdin", async () => {
    const script = 'echo sa-out; echo sa-err >&2; exit 3';
    for (const p of sides) await ok(p, ['create', '--name', `${p}sa`, ...NET, IMG, 'sh', '-c', script]);
    expect(await same((p) => ['start', '-a', `${p}sa`])).toEqual({
      stdout: 'sa-out\n',
      stderr: 'sa-err\n',
      code: 3,
    });
    const reader = 'read x; echo got $x; exit 4';
    for (const p of sides) await ok(p, ['create', '-i', '--name', `${p}si`, ...NET, IMG, 'sh', '-c', reader]);
    expect(await same((p) => ['start', '-ai', `${p}si`], { input: 'piped-in\n' })).toEqual({
      stdout: 'got piped-in\n',
      stderr: '',
      code: 4,
    });
    // Started again, attached again: the same container gives the same again.
    expect(await same((p) => ['start', '-ai', `${p}si`], { input: 'twice\n' })).toEqual({
      stdout: 'got twice\n',
      stderr: '',
      code: 4,
    });
    await settled();
  });

  it('logs --tail 2, -n 1, -t, --since and --until (sub-second unix times)', async () => {
    const mid: Record<string, string> = {};
    for (const p of sides) {
      const script = `echo line1; echo line2; echo line3; ${UNTIL_GO}; echo line4; echo line5`;
      await ok(p, ['run', '-d', '--name', `${p}lg`, ...NET, IMG, 'sh', '-c', script]);
      expect(
        await until(
          async () => (await on(p, ['logs', `${p}lg`])).stdout === 'line1\nline2\nline3\n',
          15_000,
          'three lines logged',
          100,
        ),
      ).toBe(true);
      // A time strictly between line3 and line4: taken after line3 was logged, before /go exists.
      const t = Date.now();
      mid[p] = (t / 1000).toFixed(3);
      await until(() => Date.now() > t + 20, 3_000, '20 ms', 20);
      await ok(p, ['exec', `${p}lg`, 'sh', '-c', ': > /go']);
      expect(await ok(p, ['wait', `${p}lg`])).toBe('0\n');
    }
    const out = (stdout: string) => ({ stdout, stderr: '', code: 0 });
    expect(await same((p) => ['logs', '--tail', '2', `${p}lg`])).toEqual(out('line4\nline5\n'));
    expect(await same((p) => ['logs', '-n', '1', `${p}lg`])).toEqual(out('line5\n'));
    expect(await same((p) => ['logs', '-n', '0', `${p}lg`])).toEqual(out(''));
    // Each side's own container logged at its own times: the timestamps' form is checked, not their value.
    const stamps = (s: string) => s.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}Z /gm, 'T ');
    expect(await same((p) => ['logs', '-t', '--tail', '3', `${p}lg`], { stdout: stamps })).toEqual(
      out('T line3\nT line4\nT line5\n'),
    );
    expect(await same((p) => ['logs', '--since', mid[p] ?? '', `${p}lg`])).toEqual(out('line4\nline5\n'));
    expect(await same((p) => ['logs', '--until', mid[p] ?? '', `${p}lg`])).toEqual(
      out('line1\nline2\nline3\n'),
    );
    expect(
      await same((p) => ['logs', '-t', '--since', mid[p] ?? '', '-n', '1', `${p}lg`], { stdout: stamps }),
    ).toEqual(out('T line5\n'));
    await settled();
  });

  it('stats streaming (no --no-stream): frames through the chain; killing the CLI leaves nothing open', async () => {
    const results: string[][] = [];
    for (const p of sides) {
      await ok(p, ['run', '-d', '--name', `${p}st`, ...NET, IMG, 'sleep', '300']);
      const cli = dockerLive(['stats', '--format', '{{.Name}}', `${p}st`], hostOf(p));
      // Without a terminal the CLI still redraws: each frame (every 500 ms) starts with ESC[H, ends with ESC[J.
      await cli.waitFor(new RegExp(`${p}st[^]*\x1b\\[J[^]*${p}st[^]*\x1b\\[J`), 20_000);
      if (p === 'cc-')
        expect(chain().dc.engine.streamsOpen, 'the stats stream is open').toBeGreaterThanOrEqual(1);
      cli.child.kill('SIGKILL');
      const r = norm(await cli.exited(), p);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: null, stderr: '' });
      // Whole frames that show the container: one drawn before dockerd's first sample came is timing.
      const frames = r.stdout.split('\x1b[J').slice(0, -1);
      results.push(frames.filter((f) => f.includes('P-st')).slice(0, 2));
    }
    expect(results[1]).toEqual(results[0]);
    const frame = '\x1b[HP-st\n\x1b[HP-st \x1b[K\n \x1b[K\n';
    expect(results[0]).toEqual([frame, frame]);
    await settled();
    for (const p of sides) await ok(p, ['rm', '-f', `${p}st`]);
  });

  it('rm -v removes the anonymous volume, rm without -v keeps it', async () => {
    // swarmd has no volumes API (http-unsupported): the volumes are looked at on dockerd itself.
    const direct = (args: string[]) => docker(args, { host: chain().d.host });
    const vols: Record<string, { kept: string; gone: string }> = {};
    for (const p of sides) {
      const volumeOf = async (name: string) =>
        (await ok(p, ['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', name])).trim();
      for (const n of ['vk', 'vg'])
        await ok(p, ['create', '--name', `${p}${n}`, '-v', '/data', ...NET, IMG, 'true']);
      vols[p] = { kept: await volumeOf(`${p}vk`), gone: await volumeOf(`${p}vg`) };
      expect(vols[p]?.kept).toMatch(/^[0-9a-f]{64}$/);
      expect(vols[p]?.gone).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(await same((p) => ['rm', `${p}vk`])).toEqual({ stdout: 'P-vk\n', stderr: '', code: 0 });
    expect(await same((p) => ['rm', '-v', `${p}vg`])).toEqual({ stdout: 'P-vg\n', stderr: '', code: 0 });
    for (const p of sides) {
      const { kept = '', gone = '' } = vols[p] ?? {};
      expect((await direct(['volume', 'inspect', '-f', '{{.Name}}', kept])).stdout, `${p} kept`).toBe(
        `${kept}\n`,
      );
      const r = await direct(['volume', 'inspect', gone]);
      expect({ code: r.code, stderr: r.stderr }, `${p} gone`).toEqual({
        code: 1,
        stderr: `Error response from daemon: get ${gone}: no such volume\n`,
      });
      expect((await direct(['volume', 'rm', kept])).code).toBe(0);
    }
  });

  it('inspect: the whole document, less what differs by nature between two containers', async () => {
    const args = ['--hostname', 'h1', '-e', 'A=1', '-l', 'k=v', '-w', '/tmp', '--restart', 'no', ...NET];
    for (const p of sides) await ok(p, ['run', '-d', '--name', `${p}in`, ...args, IMG, 'sleep', '300']);
    const { direct, chained } = await both((p) => ['inspect', `${p}in`]);
    expect({ ...chained, stdout: '' }).toEqual({ ...direct, stdout: '' });
    const [d, c] = [JSON.parse(direct.stdout), JSON.parse(chained.stdout)] as InspectDoc[][];
    expect(d).toHaveLength(1);
    expect(c).toHaveLength(1);
    // Two containers made one after the other: times, pid and the network namespace's name differ.
    // Ids (in paths too) and the name prefix were normalised already; everything else must be equal.
    const natural = (doc: InspectDoc) => {
      expect(doc.Created).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(doc.State.StartedAt).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
      expect(doc.State.Pid).toBeGreaterThan(1);
      expect(doc.NetworkSettings.SandboxKey).toMatch(/\/netns\/[0-9a-f]{12}$/);
      return {
        ...doc,
        Created: 'T',
        State: { ...doc.State, StartedAt: 'T', Pid: 'N' },
        NetworkSettings: { ...doc.NetworkSettings, SandboxKey: 'K' },
      };
    };
    const doc = natural(d?.[0] as InspectDoc);
    expect(natural(c?.[0] as InspectDoc)).toEqual(doc);
    expect(doc).toMatchObject({
      Id: '<ID>',
      Name: '/P-in',
      Path: 'sleep',
      Args: ['300'],
      State: { Status: 'running', Running: true, ExitCode: 0 },
      Config: {
        Hostname: 'h1',
        Env: expect.arrayContaining(['A=1']),
        Labels: { k: 'v' },
        WorkingDir: '/tmp',
      },
      HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'no' } },
    });
    for (const p of sides) await ok(p, ['rm', '-f', `${p}in`]);
    await settled();
  });
});
