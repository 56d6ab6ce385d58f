/**
 * The docker CLI through a chain split by a libchan link, `dockerserver → remote ⇄ listen → dockerclient →
 * dockerd`, compared with the same commands run directly against the daemon. Every stream crosses the
 * link as libchan byte streams: hijacked attach/exec with and without a terminal, piped stdin, chunked
 * `logs -f` and `events`, `cp` archives both ways, and the early-headers `wait`. Run over a unix socket
 * and over WebSocket; afterwards the daemon holds no more connections than dockerclient's pool.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Chain as StageChain } from '../../src/backends/chain.js';
import { systemClock } from '../../src/clock.js';
import {
  connectionsOn,
  type Daemon,
  type DockerRunResult,
  docker,
  dockerLive,
  dockerTty,
  freePort,
  startDaemons,
  stopDaemons,
  until,
} from '../harness/index.js';
import { comparer, IMG, NET, norm, TTY_SIZE, UNTIL_GO } from './cli-chain.js';

/** dockerclient's pool to the daemon: small, so a stream socket left open shows above it. */
const POOL = 2;
/**
 * How long released daemon streams may take to close: the end travels CLI → dockerserver → remote ⇄
 * listen → dockerclient; on two cores shared with 4 other CLI suites it took over 5 s twice (CI).
 * What is checked is that they close, not how fast.
 */
const RELEASE_MS = 20_000;

describe.each(['unix', 'ws'] as const)(
  'docker CLI over a %s link (dockerserver → remote ⇄ listen → dockerclient)',
  (transport) => {
    let d: Daemon;
    let dir: string;
    let host: string;
    let link: string;
    const back = new StageChain({ log: pino({ level: 'silent' }), clock: systemClock });
    const front = new StageChain({ log: pino({ level: 'silent' }), clock: systemClock });
    const { same } = comparer(() => ({ d, host }));
    const on = (p: string, args: string[]) => docker(args, { host: p === 'dd-' ? d.host : host });

    beforeAll(async () => {
      [d] = (await startDaemons(1)) as [Daemon];
      dir = mkdtempSync('/tmp/sw-link-');
      host = `unix://${join(dir, 's.sock')}`;
      link = transport === 'unix' ? `unix://${join(dir, 'link.sock')}` : `ws://127.0.0.1:${await freePort()}`;
      await back.start([`listen ${link}`, `dockerclient ${d.host} --connections ${POOL}`]);
      await front.start([`dockerserver ${host}`, `remote ${link}`]);
    });
    afterAll(async () => {
      await front.stop();
      await back.stop();
      if (d) await stopDaemons([d]);
      rmSync(dir, { recursive: true, force: true });
    });

    it('run --rm in the foreground, run -i with piped stdin, and an error from the daemon', async () => {
      expect(
        await same(() => ['run', '--rm', ...NET, IMG, 'sh', '-c', 'echo out; echo err >&2; exit 3']),
      ).toEqual({
        stdout: 'out\n',
        stderr: 'err\n',
        code: 3,
      });
      const input = 'line one\nline two\n';
      expect(
        await same(() => ['run', '--rm', '-i', ...NET, IMG, 'sh', '-c', 'cat; echo done'], { input }),
      ).toEqual({
        stdout: `${input}done\n`,
        stderr: '',
        code: 0,
      });
      const missing = await same((p) => ['inspect', `${p}nothing`]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/No such object: P-nothing/);
    });

    it('run -it in a pseudo-terminal: raw tty frames and the resize cross the link', async () => {
      const cmd = ['run', '-it', '--rm', ...NET, IMG, 'sh', '-c', `${TTY_SIZE}; exit 5`];
      const direct = await dockerTty(cmd, d.host).exited();
      const linked = await dockerTty(cmd, host).exited();
      expect(linked).toEqual(direct);
      expect(direct).toEqual({ stdout: '40 120\r\n', stderr: '', code: 5 });
    });

    it('exec with and without a terminal, logs -f until exit, wait, cp both ways', async () => {
      for (const p of ['dd-', 'cc-']) {
        const script = `echo first; ${UNTIL_GO}; echo second >&2; exit 4`;
        expect((await on(p, ['run', '-d', '--name', `${p}l`, ...NET, IMG, 'sh', '-c', script])).code).toBe(0);
      }
      expect(
        await same((p) => ['exec', '-t', `${p}l`, 'sh', '-c', 'echo t-out; echo t-err >&2; exit 2']),
      ).toEqual({
        stdout: 't-out\r\nt-err\r\n',
        stderr: '',
        code: 2,
      });
      expect(
        await same((p) => ['exec', '-i', `${p}l`, 'sh', '-c', 'tr a-z A-Z'], { input: 'piped\n' }),
      ).toEqual({
        stdout: 'PIPED\n',
        stderr: '',
        code: 0,
      });
      const files = mkdtempSync(join(dir, 'cp-'));
      writeFileSync(join(files, 'in.txt'), 'across the link\n');
      expect(await same((p) => ['cp', join(files, 'in.txt'), `${p}l:/in.txt`])).toMatchObject({ code: 0 });
      expect(await same((p) => ['exec', `${p}l`, 'cat', '/in.txt'])).toEqual({
        stdout: 'across the link\n',
        stderr: '',
        code: 0,
      });
      expect(await same((p) => ['cp', `${p}l:/in.txt`, '-'])).toMatchObject({ code: 0 });
      const results: DockerRunResult[] = [];
      for (const p of ['dd-', 'cc-']) {
        const logs = dockerLive(['logs', '-f', `${p}l`], p === 'dd-' ? d.host : host);
        const wait = dockerLive(['wait', `${p}l`], p === 'dd-' ? d.host : host);
        await logs.waitFor(/first\n/);
        expect((await on(p, ['exec', `${p}l`, 'sh', '-c', ': > /go'])).code).toBe(0);
        results.push(norm(await logs.exited(), p), norm(await wait.exited(), p));
      }
      expect(results.slice(2)).toEqual(results.slice(0, 2));
      expect(results.slice(0, 2)).toEqual([
        { stdout: 'first\n', stderr: 'second\n', code: 0 },
        { stdout: '4\n', stderr: '', code: 0 },
      ]);
    });

    it('attach and events stream live; afterwards no stream socket is left on the daemon', {
      timeout: 60_000,
    }, async () => {
      const outputs: string[] = [];
      for (const p of ['dd-', 'cc-']) {
        const target = p === 'dd-' ? d.host : host;
        const name = `${p}ev`;
        // --since replays what happened before the CLI's stream reached dockerd: no race with the run below.
        const since = String(Math.floor(Date.now() / 1000) - 1);
        const args = ['events', '--since', since, '--filter', `container=${name}`, '--format', '{{.Action}}'];
        const events = dockerLive(args, target);
        const script = `${UNTIL_GO}; echo attached-out; exit 6`;
        expect((await on(p, ['run', '-d', '--name', name, ...NET, IMG, 'sh', '-c', script])).code).toBe(0);
        const attach = dockerLive(['attach', '--no-stdin', name], target);
        await events.waitFor(/^attach\n/m);
        expect((await on(p, ['exec', name, 'sh', '-c', ': > /go'])).code).toBe(0);
        expect(norm(await attach.exited(), p)).toEqual({ stdout: 'attached-out\n', stderr: '', code: 6 });
        await events.waitFor(/^die\n/m);
        events.child.kill('SIGINT');
        outputs.push((await events.exited()).stdout);
      }
      expect(outputs[1]).toEqual(outputs[0]);
      expect(outputs[0]).toBe(
        'create\nstart\nattach\nexec_create: sh -c : > /go\nexec_start: sh -c : > /go\nexec_die\ndie\n',
      );
      expect(await until(() => connectionsOn(d.socket) <= POOL, RELEASE_MS, 'the pool only', 20)).toBe(true);
    });

    it('the front end going away under live logs -f and attach: the back end lets go of the daemon streams', {
      timeout: 60_000,
    }, async () => {
      const extra = new StageChain({ log: pino({ level: 'silent' }), clock: systemClock });
      const extraHost = `unix://${join(dir, 'extra.sock')}`;
      await extra.start([`dockerserver ${extraHost}`, `remote ${link}`]);
      try {
        const script = 'echo up; exec sleep 600';
        expect((await on('cc-', ['run', '-d', '--name', 'cc-g', ...NET, IMG, 'sh', '-c', script])).code).toBe(
          0,
        );
        const baseline = connectionsOn(d.socket);
        const logs = dockerLive(['logs', '-f', 'cc-g'], extraHost);
        const attach = dockerLive(['attach', '--no-stdin', 'cc-g'], extraHost);
        await logs.waitFor(/up\n/);
        expect(
          await until(() => connectionsOn(d.socket) >= baseline + 2, 5_000, 'two daemon streams', 20),
        ).toBe(true);
        await extra.stop(); // the session to the back end ends with it
        for (const cli of [logs, attach]) await cli.exited(10_000);
        expect(await until(() => connectionsOn(d.socket) <= POOL, RELEASE_MS, 'the pool only', 20)).toBe(
          true,
        );
      } finally {
        await extra.stop();
      }
    });

    // Last: it kills the daemon.
    it('the daemon killed under live logs -f, events and attach: each CLI ends, the chain stays up and says why', async () => {
      const script = 'echo up; while true; do sleep 0.1; done';
      expect((await on('cc-', ['run', '-d', '--name', 'cc-k', ...NET, IMG, 'sh', '-c', script])).code).toBe(
        0,
      );
      const logs = dockerLive(['logs', '-f', 'cc-k'], host);
      const attach = dockerLive(['attach', '--no-stdin', 'cc-k'], host);
      const since = String(Math.floor(Date.now() / 1000) - 5);
      const events = dockerLive(['events', '--since', since, '--filter', 'container=cc-k'], host);
      await logs.waitFor(/up\n/);
      await events.waitFor(/ attach /);
      d.kill('SIGKILL');
      // Each stream breaks mid-body across the link; the CLIs notice and exit instead of hanging.
      for (const cli of [logs, attach, events]) await cli.exited(10_000);
      // Both processes' stages are still serving: the front answers, and the back names the dead daemon.
      const r = await docker(['ps'], { host });
      console.log(`[over-link] after the kill: ${r.stderr.trim()}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`Error response from daemon: .*${d.socket.replaceAll('/', '\\/')}`),
      );
    });
  },
);
