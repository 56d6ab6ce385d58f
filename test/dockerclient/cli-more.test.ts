/**
 * The rest of the docker CLI commands of docker-cli-wire.md through dockerserver → dockerclient → a
 * private dockerd, compared with the same command run directly: terminals (`run -it`, `exec -it`,
 * `exec -t`, attach + detach keys), live streams (`attach`, `events`, `logs -f`) and clients that leave
 * in the middle of one (no stream or socket left behind), `docker import -` (a tarball request body),
 * published ports, and the read-only commands (`ps` variants, `info`, `system df`, `stats`, `inspect -f`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  connectionsOn,
  type DockerRunResult,
  docker,
  dockerLive,
  dockerTty,
  type LiveCli,
  until,
} from '../harness/index.js';
import { busyboxPath } from '../harness/install.js';
import { chainSuite, IMG, NET, norm, TTY_SIZE, UNTIL_GO } from './cli-chain.js';

/** Pooled sockets dockerclient may keep to the daemon here: small, so a leaked stream socket shows. */
const POOL = 2;
/** "Up 3 seconds", "2 minutes ago"… tick between the two runs. */
const times = (s: string) =>
  s.replace(/(About an?|Less than a|\d+) (second|minute|hour)s?( ago)?/g, 'T').replace(/ +/g, ' ');

// Each test runs both sides one after the other, a dozen CLI calls on a loaded 2-core machine.
describe('more docker CLI commands through dockerserver → dockerclient → dockerd, vs direct', {
  timeout: 60_000,
}, () => {
  const { chain, same, hostOf, sides, on, settled } = chainSuite(POOL);

  /** Waits until dockerd logged an `attach` to `name` (the CLI's hijack reached the daemon). */
  async function attachedTo(name: string): Promise<void> {
    const args = ['events', '--since', '5m', '--until', '0s', '--filter', `container=${name}`];
    const seen = await until(
      async () =>
        (await docker([...args, '--filter', 'event=attach'], { host: chain().d.host })).stdout !== '',
      15_000,
      `attach to ${name} seen by dockerd`,
      100,
    );
    expect(seen, `attach to ${name} seen by dockerd`).toBe(true);
  }

  it('run -it in a pseudo-terminal: tty output, exit code, and the resize after start', async () => {
    const cmd = ['run', '-it', '--rm', ...NET, IMG, 'sh', '-c', `${TTY_SIZE}; echo tty-out; exit 5`];
    const direct = await dockerTty(cmd, chain().d.host).exited();
    const chained = await dockerTty(cmd, chain().host).exited();
    expect(chained).toEqual(direct);
    // 40×120 is the pty's size: it only reaches the container through POST /containers/{id}/resize.
    expect(direct).toEqual({ stdout: '40 120\r\ntty-out\r\n', stderr: '', code: 5 });
  });

  it('run -it: a terminal resized while the container runs reaches it (SIGWINCH → resize)', async () => {
    const changed =
      'read x; for i in $(busybox seq 1 50); do s=$(busybox stty size 2>/dev/null); [ "$s" = "30 100" ] && break; sleep 0.1; done; echo $s';
    const cmd = ['run', '-it', '--rm', ...NET, IMG, 'sh', '-c', `${TTY_SIZE}; ${changed}; exit 4`];
    const results: DockerRunResult[] = [];
    for (const host of [chain().d.host, chain().host]) {
      const cli = dockerTty(cmd, host);
      await cli.waitFor(/40 120\r\n/);
      cli.resize(30, 100); // stty sets rows, then cols: two SIGWINCHs, the CLI resizes after each
      cli.write('\r'); // let `read` return; the loop then waits for the new size to arrive
      results.push(await cli.exited());
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ stdout: '40 120\r\n\r\n30 100\r\n', stderr: '', code: 4 });
  });

  it('exec -it (pseudo-terminal, exec resize) and exec -t without one', async () => {
    for (const p of sides)
      expect((await on(p, ['run', '-d', '--name', `${p}x`, ...NET, IMG, 'sleep', '300'])).code).toBe(0);
    const cmd = (p: string) => ['exec', '-it', `${p}x`, 'sh', '-c', `${TTY_SIZE}; echo exec-tty; exit 3`];
    const direct = await dockerTty(cmd('dd-'), chain().d.host, { rows: 33, cols: 99 }).exited();
    const chained = await dockerTty(cmd('cc-'), chain().host, { rows: 33, cols: 99 }).exited();
    expect(chained).toEqual(direct);
    expect(direct).toEqual({ stdout: '33 99\r\nexec-tty\r\n', stderr: '', code: 3 });
    // -t without -i needs no terminal of its own; stderr is merged into the tty stream.
    expect(
      await same((p) => ['exec', '-t', `${p}x`, 'sh', '-c', 'echo t-out; echo t-err >&2; exit 2']),
    ).toEqual({
      stdout: 't-out\r\nt-err\r\n',
      stderr: '',
      code: 2,
    });
  });

  it('attach: output seen, container exit ends it with its exit code', async () => {
    const results: DockerRunResult[] = [];
    for (const p of sides) {
      const name = `${p}a`;
      const script = `${UNTIL_GO}; echo attached-out; echo attached-err >&2; exit 6`;
      expect((await on(p, ['run', '-d', '--name', name, ...NET, IMG, 'sh', '-c', script])).code).toBe(0);
      const cli = dockerLive(['attach', '--no-stdin', name], hostOf(p));
      await attachedTo(name);
      expect((await on(p, ['exec', name, 'sh', '-c', ': > /go'])).code).toBe(0);
      results.push(norm(await cli.exited(), p));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ stdout: 'attached-out\n', stderr: 'attached-err\n', code: 6 });
    await settled();
  });

  it('attach to a tty container in a pseudo-terminal: typed input, detach keys end it, container keeps running', async () => {
    const results: DockerRunResult[] = [];
    for (const p of sides) {
      const name = `${p}t`;
      expect((await on(p, ['run', '-dit', '--name', name, ...NET, IMG, 'sh'])).code).toBe(0);
      // Attach once sh has printed its banner (its prompt waits for a terminal size): attached earlier
      // (a slow start under load), the CLI also shows the banner, on one side only (seen in CI).
      let seen = '';
      await until(
        async () => {
          seen = (await on(p, ['logs', name])).stdout;
          return seen.includes('built-in commands');
        },
        10_000,
        () => `${name}: sh's banner: ${JSON.stringify(seen)}`,
        50,
      );
      const cli = dockerTty(['attach', name], hostOf(p), { rows: 30, cols: 100 });
      await attachedTo(name);
      cli.write('echo typed-in\r');
      // …and the next prompt, with the cursor-position query busybox sh sends after it (ESC [6n).
      await cli.waitFor(/typed-in\r\ntyped-in\r\n\/ # .\[6n/);
      cli.write('\x10\x11'); // Ctrl-P Ctrl-Q: the CLI's detach keys
      const r = await cli.exited();
      // The CLI's two resizes (h+1/w+1, then the real size) make sh redraw its prompt once or twice,
      // depending on timing, directly as well as through the chain: count one.
      const redraw = '\r/ # \x1b[J';
      while (r.stdout.includes(redraw + redraw)) r.stdout = r.stdout.replace(redraw + redraw, redraw);
      results.push(norm(r, p));
      expect((await on(p, ['inspect', '-f', '{{.State.Running}}', name])).stdout).toBe('true\n');
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]?.code).toBe(1);
    expect(results[0]?.stdout).toContain('typed-in\r\ntyped-in\r\n');
    expect(results[0]?.stdout).toContain('read escape sequence');
    await settled();
  });

  it('restart, then logs show both starts', async () => {
    for (const p of sides) {
      const r = await on(p, [
        'run',
        '-d',
        '--name',
        `${p}r`,
        ...NET,
        IMG,
        'sh',
        '-c',
        'echo started; exec sleep 300',
      ]);
      expect(r.code).toBe(0);
    }
    expect(await same((p) => ['restart', '-t', '1', `${p}r`])).toEqual({
      stdout: 'P-r\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['logs', `${p}r`])).toEqual({
      stdout: 'started\nstarted\n',
      stderr: '',
      code: 0,
    });
  });

  it('kill -s USR1 reaches the trap; wait gives its exit code', async () => {
    const trap = 'trap "echo got-usr1; exit 9" USR1; echo ready; while true; do sleep 0.1; done';
    for (const p of sides) {
      expect((await on(p, ['run', '-d', '--name', `${p}u`, ...NET, IMG, 'sh', '-c', trap])).code).toBe(0);
      // pid 1 ignores signals it has no handler for: send USR1 only once the trap is set.
      const ready = async () => (await on(p, ['logs', `${p}u`])).stdout.includes('ready');
      expect(await until(ready, 10_000, 'the trap set', 100)).toBe(true);
    }
    expect(await same((p) => ['kill', '-s', 'USR1', `${p}u`])).toEqual({
      stdout: 'P-u\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['wait', `${p}u`])).toEqual({ stdout: '9\n', stderr: '', code: 0 });
    expect(await same((p) => ['logs', `${p}u`])).toEqual({
      stdout: 'ready\ngot-usr1\n',
      stderr: '',
      code: 0,
    });
  });

  it('logs -f follows until the container exits', async () => {
    const results: DockerRunResult[] = [];
    for (const p of sides) {
      const script = `echo f1; ${UNTIL_GO}; echo f2 >&2; echo f3`;
      expect((await on(p, ['run', '-d', '--name', `${p}f`, ...NET, IMG, 'sh', '-c', script])).code).toBe(0);
      const cli = dockerLive(['logs', '-f', `${p}f`], hostOf(p));
      await cli.waitFor(/f1\n/);
      expect((await on(p, ['exec', `${p}f`, 'sh', '-c', ': > /go'])).code).toBe(0);
      results.push(await cli.exited());
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({ stdout: 'f1\nf3\n', stderr: 'f2\n', code: 0 });
    await settled();
  });

  it('a client killed in the middle of logs -f or attach leaves no stream and no socket to the daemon', async () => {
    expect(
      (
        await docker(['run', '-d', '--name', 'cc-q', ...NET, IMG, 'sh', '-c', 'echo q1; exec sleep 300'], {
          host: chain().host,
        })
      ).code,
    ).toBe(0);
    await settled();
    const kill = async (cli: LiveCli, what: string, beforeSettle?: () => Promise<void>) => {
      const during = { streams: chain().dc.engine.streamsOpen, sockets: connectionsOn(chain().d.socket) };
      expect(during.streams, `${what}: dockerclient holds the stream`).toBeGreaterThanOrEqual(1);
      cli.child.kill('SIGKILL');
      await cli.exited();
      await beforeSettle?.();
      await settled();
      const after = { streams: chain().dc.engine.streamsOpen, sockets: connectionsOn(chain().d.socket) };
      console.log(
        `[cli-more] ${what}: during ${JSON.stringify(during)}, after the CLI was killed ${JSON.stringify(after)} (pool ${POOL})`,
      );
      expect(after.sockets).toBeLessThan(during.sockets);
    };
    // A quiet container: nothing more will be written, so only closing the socket can end the call.
    const logs = dockerLive(['logs', '-f', 'cc-q'], chain().host);
    await logs.waitFor(/q1\n/);
    await kill(logs, 'logs -f');
    const attach = dockerLive(['attach', '--no-stdin', 'cc-q'], chain().host);
    await attachedTo('cc-q');
    expect(await until(() => chain().dc.engine.streamsOpen === 2, 3_000, 'two streams', 20)).toBe(true); // the attach and the CLI's wait
    await kill(attach, 'attach', async () => {
      // The CLI's wait (a plain request) ends at once. Its attach it had half-closed right after the 101
      // (no stdin), so the end that dockerserver holds cannot see the process die until something is
      // written to it; dockerd holds its own end of a directly attached CLI the same way. The next
      // output does it: then everything is released, down to the daemon's attach.
      expect(await until(() => chain().dc.engine.streamsOpen === 1, 3_000, 'one stream', 20)).toBe(true);
      const poke = await docker(['exec', 'cc-q', 'sh', '-c', 'echo poke > /proc/1/fd/1'], {
        host: chain().d.host,
      });
      expect(poke.code, poke.stderr).toBe(0);
    });
    // The container never noticed: still running, its log intact.
    expect(
      (await docker(['inspect', '-f', '{{.State.Running}}', 'cc-q'], { host: chain().host })).stdout,
    ).toBe('true\n');
  });

  it('events live through the chain: each action arrives as it happens; killing the CLI leaves nothing open', async () => {
    const results: string[] = [];
    for (const p of sides) {
      const before = chain().dc.engine.streamsOpen;
      const name = `${p}ev`;
      // --since: directly, an event before the CLI subscribed still shows. Through the chain every event
      // is live: nothing happens until the CLI's stream has reached dockerd.
      const since = String(Math.floor(Date.now() / 1000) - 1);
      const args = ['events', '--since', since, '--filter', `container=${name}`, '--format', '{{.Action}}'];
      const cli = dockerLive(args, hostOf(p));
      if (p === 'cc-')
        expect(
          await until(() => chain().dc.engine.streamsOpen > before, 10_000, 'the events stream', 20),
        ).toBe(true);
      expect((await on(p, ['create', '--name', name, ...NET, IMG, 'true'])).code).toBe(0);
      await cli.waitFor(/^create\n/m);
      expect((await on(p, ['start', name])).code).toBe(0);
      await cli.waitFor(/^die\n/m);
      expect((await on(p, ['rm', name])).code).toBe(0);
      await cli.waitFor(/^destroy\n/m);
      cli.child.kill('SIGINT');
      const r = await cli.exited();
      results.push(r.stdout);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toBe('create\nstart\ndie\ndestroy\n');
    await settled();
  });

  it('port: published ports on a bridge network (created directly on the daemon), and the errors', async () => {
    // The private daemons run with --bridge=none; a user-defined bridge network still works here.
    const net = await docker(['network', 'create', 'sw-ports'], { host: chain().d.host });
    expect(net.code, net.stderr).toBe(0);
    try {
      const r = await same((p) => [
        'run',
        '-d',
        '--name',
        `${p}p`,
        '--network',
        'sw-ports',
        '-p',
        '127.0.0.1::80',
        IMG,
        'sleep',
        '300',
      ]);
      expect(r).toEqual({ stdout: '<ID>\n', stderr: '', code: 0 });
      const port = (s: string) => s.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
      expect(await same((p) => ['port', `${p}p`], { stdout: port })).toEqual({
        stdout: '80/tcp -> 127.0.0.1:PORT\n',
        stderr: '',
        code: 0,
      });
      expect(await same((p) => ['port', `${p}p`, '80'], { stdout: port })).toEqual({
        stdout: '127.0.0.1:PORT\n',
        stderr: '',
        code: 0,
      });
      const missing = await same((p) => ['port', `${p}p`, '81']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe("Error: No public port '81' published for P-p\n");
      // No published ports: nothing printed, success.
      expect(await same((p) => ['port', `${p}x`])).toEqual({ stdout: '', stderr: '', code: 0 });
    } finally {
      for (const p of sides) await docker(['rm', '-f', `${p}p`], { host: chain().d.host });
      await docker(['network', 'rm', 'sw-ports'], { host: chain().d.host });
    }
  });

  it('inspect -f, ps -q / -n 1 / -l / --filter status=exited, info, system df, version and image inspect agree', async () => {
    const fmt =
      '{{.Name}} {{.State.Status}} {{.Config.Image}} {{json .Config.Cmd}} {{.HostConfig.NetworkMode}} {{.Config.Tty}}';
    expect(await same((p) => ['inspect', '-f', fmt, `${p}t`])).toEqual({
      stdout: '/P-t running busybox:local ["sh"] none true\n',
      stderr: '',
      code: 0,
    });
    // Both sides list the same daemon: the outputs are the same bytes (up to ticking times).
    const ps = (args: string[]) => same(() => ['ps', ...args], { stdout: times, keepNames: true });
    const q = await ps(['-q']);
    expect(q.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(6);
    expect(q.stdout).toMatch(/^([0-9a-f]{12}\n)+$/);
    expect((await ps(['-n', '1'])).stdout).toMatch(/^CONTAINER ID .*\n[0-9a-f]{12} .*\n$/);
    expect((await ps(['-l', '--format', '{{.Names}}'])).stdout).toBe('cc-q\n');
    const exited = await ps(['-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}']);
    expect(exited.stdout.split('\n').sort().join('\n')).toContain('dd-u Exited (9) T');
    const info = await same(() => [
      'info',
      '--format',
      '{{.Containers}} {{.ContainersRunning}} {{.Images}} {{.ServerVersion}} {{.OSType}}',
    ]);
    expect(info.stdout).toMatch(/^\d+ \d+ 1 20\.10\.\S+ linux\n$/);
    const df = await same(() => ['system', 'df'], { keepNames: true });
    expect(df.stdout).toMatch(/^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE\nImages +1 /);
    // Whole documents, byte for byte: the chain adds nothing and loses nothing.
    // `Runtimes:` is printed from a map, in a different order on every run of the CLI.
    const runtimes = (t: string) =>
      t.replace(/Runtimes: (.*)/, (_m, r: string) => `Runtimes: ${r.split(' ').sort().join(' ')}`);
    const full = await same(() => ['info'], { keepNames: true, stdout: runtimes });
    expect(full.stdout).toMatch(/Server Version: 20\.10\./);
    expect(full.stdout).toMatch(/Labels:\n {2}node=node1\n/);
    expect((await same(() => ['version'])).stdout).toMatch(
      /Server:[\s\S]*API version: +1\.41 \(minimum version 1\.12\)/,
    );
    const image = await same(() => ['image', 'inspect', IMG]);
    expect(JSON.parse(image.stdout)[0].RepoTags).toEqual([IMG]);
  });

  it('stats --no-stream: same columns and shape (numbers normalised)', async () => {
    const numbers = (s: string) =>
      s
        .replace(/\b[0-9a-f]{12}\b/g, '<id>')
        .replace(/\d+(\.\d+)?/g, 'N')
        .replace(/N(B|kB|KiB|MB|MiB|GB|GiB)/g, 'N<unit>')
        .replace(/ +/g, ' ');
    const table = await same((p) => ['stats', '--no-stream', `${p}r`], { stdout: numbers });
    expect(table.stdout).toBe(
      'CONTAINER ID NAME CPU % MEM USAGE / LIMIT MEM % NET I/O BLOCK I/O PIDS\n<id> P-r N% N<unit> / N<unit> N% N<unit> / N<unit> N<unit> / N<unit> N\n',
    );
    const fmt = '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.PIDs}}';
    expect(
      (await same((p) => ['stats', '--no-stream', '--format', fmt, `${p}r`], { stdout: numbers })).stdout,
    ).toBe('P-r N% N<unit> / N<unit> N<unit> / N<unit> N\n');
  });

  it('import - (a tarball request body through the chain), then run the imported image', async () => {
    const root = join(chain().dir, 'rootfs');
    mkdirSync(join(root, 'bin'), { recursive: true });
    execFileSync('cp', [busyboxPath(), join(root, 'bin', 'busybox')]);
    for (const a of ['sh', 'echo', 'cat']) symlinkSync('busybox', join(root, 'bin', a));
    execFileSync('tar', ['-C', root, '-cf', join(chain().dir, 'rootfs.tar'), '.']);
    const tar = readFileSync(join(chain().dir, 'rootfs.tar'));
    expect(tar.length).toBeGreaterThan(500_000); // a static busybox: the body is streamed, not one chunk
    const imported = await same((p) => ['import', '-', `${p}imp:1`], { input: tar });
    expect(imported).toEqual({ stdout: 'sha256:<ID>\n', stderr: '', code: 0 });
    expect(await same((p) => ['run', '--rm', ...NET, `${p}imp:1`, 'echo', 'from-import'])).toEqual({
      stdout: 'from-import\n',
      stderr: '',
      code: 0,
    });
    expect(await same((p) => ['images', `${p}imp`, '--format', '{{.Repository}}:{{.Tag}}'])).toEqual({
      stdout: 'P-imp:1\n',
      stderr: '',
      code: 0,
    });
  });

  it('container prune -f removes exactly the stopped containers', async () => {
    await docker(['container', 'prune', '-f'], { host: chain().d.host }); // start from none stopped
    const results: DockerRunResult[] = [];
    for (const p of sides) {
      expect((await on(p, ['run', '--name', `${p}pr`, ...NET, IMG, 'true'])).code).toBe(0);
      results.push(norm(await on(p, ['container', 'prune', '-f']), p));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]).toEqual({
      stdout: 'Deleted Containers:\n<ID>\n\nTotal reclaimed space: 0B\n',
      stderr: '',
      code: 0,
    });
    expect(await same(() => ['ps', '-a', '--filter', 'status=exited', '-q'], { keepNames: true })).toEqual({
      stdout: '',
      stderr: '',
      code: 0,
    });
  });

  it('after all of the above: no stream left open, no more sockets than the pool', async () => {
    await settled();
  });
});
