/**
 * README's "Give a container safe Docker access" runs as written: its swarmd command line (a real
 * swarmd process) and its docker-compose.yml (docker-compose 1.29 against a private dockerd) are read
 * out of README.md, so the test fails when the README drifts. Two substitutions only, each checked to
 * apply: the host folder `/run/swarmd` becomes a temporary one and `/var/run/docker.sock` the private
 * daemon's socket. The images the example names (`docker:cli`, `busybox`) are made on that daemon
 * from the test bed's busybox and the docker CLI on this machine (no registry here). What the prose
 * promises is checked too: `ok`, then the quoted denial, and with `--own` the runner's containers
 * labelled `io.swarmd.owner=ci` while every other container is absent to it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { parse } from 'shell-quote';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OWNER_LABEL } from '../../src/backends/policy/ownership.js';
import {
  type Daemon,
  DOCKER_CLI,
  docker,
  runProcess,
  type SwarmdProcess,
  startDaemons,
  startSwarmd,
  stopDaemons,
} from '../harness/index.js';
import { DOCKER_COMPOSE } from '../harness/install.js';
import { api, container } from './support.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The section's text, from its heading to the next one. */
function section(): string {
  const start = README.indexOf('## Give a container safe Docker access');
  expect(start, 'README has the section').toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + 3);
  return README.slice(start, end < 0 ? undefined : end);
}

/** `text` with `from` replaced by `to` everywhere; fails when `from` is not there (the README changed). */
function substitute(text: string, from: string, to: string): string {
  expect(text, `the README example names ${from}`).toContain(from);
  return text.replaceAll(from, to);
}

const text = section();
/** The indented shell block: `mkdir -p …` then the swarmd command, continued with `\`. */
const shellBlock = /\n\n((?: {4}.*\n)+)/.exec(text)?.[1] ?? '';
const composeFile = /```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
const denial = /fails with `([^`]+)`/.exec(text.replace(/\n/g, ' '))?.[1] ?? '';

let daemon: Daemon;
let dir: string;
let swarmd: SwarmdProcess | undefined;
let socket: string;

beforeAll(async () => {
  [daemon] = (await startDaemons(1)) as [Daemon];
  dir = mkdtempSync('/tmp/sw-readme-');
  const host = { host: `unix://${daemon.socket}` };
  // The example's images, made from what the test bed has: busybox, and busybox plus the docker CLI.
  expect((await docker(['tag', 'busybox:local', 'busybox'], host)).code).toBe(0);
  const ctx = join(dir, 'cli-image');
  mkdirSync(ctx);
  copyFileSync(DOCKER_CLI, join(ctx, 'docker'));
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox:local\nCOPY docker /usr/local/bin/docker\n');
  const built = await docker(['build', '-q', '-t', 'docker:cli', ctx], { ...host, timeoutMs: 120_000 });
  expect(built.code, built.stderr).toBe(0);
}, 240_000);
afterAll(async () => {
  await swarmd?.stop();
  if (daemon) await stopDaemons([daemon]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('README: Give a container safe Docker access', () => {
  it('has the commands this test runs', () => {
    expect(shellBlock).toMatch(/^ {4}mkdir -p \/run\/swarmd\n {4}swarmd /);
    expect(composeFile).toContain('services:');
    expect(denial).toMatch(
      /^docker: Error response from daemon: container\.create denied by policy rule privileged: /,
    );
  });

  it('runs its swarmd command line and its compose file: ok, then the quoted denial', {
    timeout: 180_000,
  }, async () => {
    const local = (s: string) =>
      substitute(substitute(s, '/run/swarmd', join(dir, 'run')), '/var/run/docker.sock', daemon.socket);
    const lines = local(shellBlock)
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    expect(lines).toHaveLength(2);
    const mkdir = parse(lines[0]!) as string[];
    expect((await runProcess(mkdir[0]!, mkdir.slice(1))).code).toBe(0);
    const command = parse(lines[1]!) as string[];
    expect(command[0]).toBe('swarmd');
    swarmd = await startSwarmd(command.slice(1));
    socket = join(dir, 'run', 'ci.sock');

    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, substitute(composeFile, '/run/swarmd', join(dir, 'run')));
    const up = await runProcess(DOCKER_COMPOSE, ['-p', 'readme', '-f', file, 'up'], {
      env: { DOCKER_HOST: `unix://${daemon.socket}` },
      timeoutMs: 150_000,
    });
    // compose colours each service's prefix
    const out = stripVTControlCharacters(up.stdout + up.stderr);
    expect(out, out).toMatch(/runner_1 +\| ok\r?\n/);
    expect(out, out).toContain(denial);
    await runProcess(DOCKER_COMPOSE, ['-p', 'readme', '-f', file, 'down'], {
      env: { DOCKER_HOST: `unix://${daemon.socket}` },
      timeoutMs: 60_000,
    });
  });

  it('--own as the README says: the runner’s containers labelled ci, every other one absent', {
    timeout: 60_000,
  }, async () => {
    expect(text).toContain('(`io.swarmd.owner=ci`)');
    const strangers = await container(daemon.socket, 'created');
    const asRunner = { host: `unix://${socket}` };
    const created = await docker(['create', 'busybox', 'true'], asRunner);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const c = (await api(daemon.socket, 'GET', `/containers/${id}/json`)).body as {
      Config: { Labels: Record<string, string> };
    };
    expect(c.Config.Labels[OWNER_LABEL]).toBe('ci');
    const ps = await docker(['ps', '-aq', '--no-trunc'], asRunner);
    expect(ps.stdout.trim().split('\n')).toEqual([id]);
    const inspect = await docker(['inspect', strangers], asRunner);
    expect(inspect.code).not.toBe(0);
    expect(inspect.stderr).toContain(`No such object: ${strangers}`);
    expect((await docker(['rm', id], asRunner)).code).toBe(0);
  });
});
