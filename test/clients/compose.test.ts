/**
 * docker-compose 1.29 (Debian's docker-compose 1.29.2, on docker-py 5.0.3) through dockerserver →
 * dockerclient → a private dockerd, compared with the same commands run directly against that
 * dockerd: `up -d`, `ps`, `logs`, `exec`, `run`, `down`, and `up` in the foreground, on a two-service
 * project with `network_mode: none`.
 * What compose sends (seen with a --debug dockerd): every command starts with an unprefixed
 * `GET /version` (docker-py's "auto" negotiation; COMPOSE_API_VERSION unset), then `/v1.41/…`; it probes
 * a lot (33 requests for up/ps/logs/down, mostly label-filtered container lists), `logs` subscribes to
 * filtered events, and without `network_mode` (or with a named volume) it uses the networks and volumes
 * API: its default network and a named volume pass through like every other call.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, until } from '../harness/index.js';
import { DOCKER_COMPOSE } from '../harness/install.js';
import { type Chain, normalise, type RunResult, run, startChain } from './support.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Sorted lines: compose fetches logs and removes containers concurrently, so only the set is fixed. */
const sortedLines = (s: string) => s.split('\n').sort().join('\n');

describe('docker-compose 1.29 through the chain, vs direct', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  const hostOf = (p: string) => (p === 'dd-' ? chain.direct : chain.chained);

  async function compose(p: string, file: string, args: string[]): Promise<RunResult> {
    const r = await run(DOCKER_COMPOSE, ['-p', `${p}proj`, '-f', fixture(file), ...args], {
      DOCKER_HOST: hostOf(p),
      DOCKER_CONFIG: chain.configDir,
    });
    return { stdout: normalise(r.stdout, p), stderr: normalise(r.stderr, p), code: r.code };
  }

  /** Runs the same compose command directly and through the chain; expects the same result. */
  async function same(args: string[], shape: (s: string) => string = (s) => s) {
    const direct = await compose('dd-', 'compose.yml', args);
    const chained = await compose('cc-', 'compose.yml', args);
    const shaped = (r: RunResult) => ({ stdout: shape(r.stdout), stderr: shape(r.stderr), code: r.code });
    expect(shaped(chained)).toEqual(shaped(direct));
    return direct;
  }

  /** Waits (at most 20 s) until `container`'s log on `host` contains `text`: no race with `logs`. */
  async function logged(host: string, container: string, text: string) {
    await until(
      async () => {
        const r = await docker(['logs', container], { host });
        return (r.stdout + r.stderr).includes(text);
      },
      20_000,
      `${container} to log ${text}`,
      200,
    );
  }

  it('up -d, ps, logs, exec, run, down: same output and exit codes', { timeout: 180_000 }, async () => {
    const before = chain.ops.length;
    const up = await same(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('Creating P-proj_web_1 ... done');
    expect(up.stderr).toContain('Creating P-proj_worker_1 ... done');

    // worker exits 3 at once; wait for it (and for web's output) so ps and logs see a settled state.
    for (const p of ['dd-', 'cc-']) {
      expect(await docker(['wait', `${p}proj_worker_1`], { host: hostOf(p) })).toMatchObject({
        stdout: '3\n',
        code: 0,
      });
      await logged(hostOf(p), `${p}proj_web_1`, 'web-err');
    }

    const ps = await same(['ps']);
    expect(ps.code).toBe(0);
    expect(ps.stdout).toMatch(/^\s+Name\s+Command\s+State\s+Ports\s*\n-+\n/);
    expect(ps.stdout).toMatch(/\nP-proj_web_1 +sh -c echo web-started; ec \.\.\. +Up +\n/);
    expect(ps.stdout).toMatch(/\nP-proj_worker_1 +sh -c echo worker-did-its- \.\.\. +Exit 3 +\n/);

    const logs = await same(['logs', '--no-color'], sortedLines);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.split('\n').map((l) => l.replace(/ +\| /, ' | '));
    expect(lines).toEqual(
      expect.arrayContaining([
        'web_1 | web-started',
        'web_1 | web-err',
        'worker_1 | worker-did-its-job',
        expect.stringMatching(/^Attaching to P-proj_(worker_1, P-proj_web_1|web_1, P-proj_worker_1)$/),
      ]),
    );
    // (No order between web's stdout and stderr lines: dockerd copies the two pipes separately, so even
    // `docker logs` straight from the daemon interleaves them either way under load.)

    // exec (a hijacked exec start, -T: no tty) and a one-off `run` (create, attach, start, wait, rm).
    expect(await same(['exec', '-T', 'web', 'sh', '-c', 'echo in-exec; echo exec-err >&2; exit 5'])).toEqual({
      stdout: 'in-exec\n',
      stderr: 'exec-err\n',
      code: 5,
    });
    const oneOff = await same(['run', '--rm', '-T', 'worker']);
    expect(oneOff).toMatchObject({ stdout: 'worker-did-its-job\n', code: 3 });
    expect(oneOff.stderr).toContain('Creating P-proj_worker_run ... done');

    const down = await same(['down', '-t', '1'], sortedLines);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain('Stopping P-proj_web_1 ... done');
    expect(down.stderr).toContain('Removing P-proj_worker_1 ... done');
    expect(down.stderr).toContain('Removing P-proj_web_1    ... done');

    expect(await same(['ps', '-q'])).toEqual({ stdout: '', stderr: '', code: 0 });
    for (const p of ['dd-', 'cc-']) {
      const left = await docker(['ps', '-aq', '--filter', `label=com.docker.compose.project=${p}proj`], {
        host: chain.direct,
      });
      expect(left).toEqual({ stdout: '', stderr: '', code: 0 });
    }

    // The chained half really went through the chain.
    const ops = chain.ops.slice(before);
    for (const op of [
      'version',
      'container.list',
      'image.inspect',
      'container.create',
      'container.start',
      'container.logs',
      'events',
      'container.stop',
      'container.remove',
    ]) {
      expect(ops, op).toContain(op);
    }
  });

  it('up in the foreground: attached output, --exit-code-from, abort stops the rest', {
    timeout: 120_000,
  }, async () => {
    const up = await same(['up', '--no-color', '--exit-code-from', 'worker', '-t', '1'], sortedLines);
    expect(up.code, up.stderr).toBe(3);
    const lines = up.stdout.split('\n').map((l) => l.replace(/ +\| /, ' | '));
    expect(lines).toEqual(
      expect.arrayContaining([
        'web_1 | web-started',
        'web_1 | web-err',
        'worker_1 | worker-did-its-job',
        'P-proj_worker_1 exited with code 3',
        'Aborting on container exit...',
      ]),
    );
    expect(up.stderr).toContain('Stopping P-proj_web_1    ... done');
    expect((await same(['down', '-t', '1'], sortedLines)).code).toBe(0);
  });

  it('the default network and a named volume: up -d, ps, logs, down -v the same as direct', {
    timeout: 180_000,
  }, async () => {
    const run2 = async (args: string[]) => {
      const direct = await compose('dd-', 'compose-netvol.yml', args);
      const chained = await compose('cc-', 'compose-netvol.yml', args);
      return { direct, chained };
    };
    const up = await run2(['up', '-d']);
    expect(up.direct.code, up.direct.stderr).toBe(0);
    expect(sortedLines(up.chained.stderr)).toEqual(sortedLines(up.direct.stderr));
    expect(up.chained.stderr).toContain('Creating network "P-proj_default" with the default driver');
    expect(up.chained.stderr).toContain('Creating volume "P-proj_data" with default driver');
    expect(up.chained.code).toBe(0);
    // The volume carries data from one service to the other, on both sides.
    for (const p of ['dd-', 'cc-']) await logged(chain.direct, `${p}proj_reader_1`, 'written-by-writer');
    const ps = await run2(['ps']);
    expect(ps.chained).toEqual(ps.direct);
    const logs = await run2(['logs', '--no-color']);
    const lines = (s: string) => sortedLines(s.replace(/ +\| /g, ' | '));
    expect(lines(logs.chained.stdout)).toEqual(lines(logs.direct.stdout));
    expect(logs.chained.stdout).toContain('written-by-writer');
    const down = await run2(['down', '-v', '-t', '1']);
    expect(down.direct.code, down.direct.stderr).toBe(0);
    expect(sortedLines(down.chained.stderr)).toEqual(sortedLines(down.direct.stderr));
    expect(down.chained.code).toBe(0);
    expect(down.chained.stderr).toContain('Removing network P-proj_default');
    expect(down.chained.stderr).toContain('Removing volume P-proj_data');
    const left = await docker(['volume', 'ls', '-q'], { host: chain.direct });
    expect(left.stdout).not.toMatch(/proj_data/);
  });
});
