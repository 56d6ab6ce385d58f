/**
 * docker-py 5.0.3's own integration suite (tests/integration of its repository at tag 5.0.3, 395 tests,
 * copied unmodified to ../shared/peers/docker-py-5.0.3) as a compared suite: run against a daemon with
 * Debian's pytest, read back per test from its JUnit XML. Recipe: ../shared/docs/test-bed.md.
 * @module
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientEnv, DOCKER_CLI, docker, runProcess } from '../harness/index.js';
import { busyboxPath, SYSTEM_PYTHON } from '../harness/install.js';

/** The unmodified suite. */
export const SUITE_DIR = fileURLToPath(new URL('../../../shared/peers/docker-py-5.0.3', import.meta.url));

/** One test's outcome, as pytest reports it. */
export type Outcome = 'passed' | 'failed' | 'error' | 'skipped';

/** Test id (`api_build_test.BuildTest::test_build_streaming`) → outcome. */
export type SuiteResults = Map<string, Outcome>;

const ALPINE_PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:2:2:daemon:/sbin:/sbin/nologin',
  'nobody:x:65534:65534:nobody:/:/sbin/nologin',
  'postgres:x:70:70::/var/lib/postgresql:/bin/sh',
  '',
].join('\n');
const ALPINE_GROUP = ['root:x:0:root', 'daemon:x:2:root', 'nogroup:x:65533:', 'postgres:x:70:', ''].join(
  '\n',
);

/**
 * The images the suite expects, made offline: the static busybox with every applet linked, alpine-style
 * /etc/passwd and /etc/group (one test needs a `postgres` user), tagged `alpine:3.10`, `alpine:latest`
 * and `busybox:latest`.
 */
export async function importSuiteImages(host: string, scratch: string): Promise<void> {
  const root = join(scratch, 'rootfs');
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'root', 'var/lib/postgresql'])
    mkdirSync(join(root, d), { recursive: true });
  cpSync(busyboxPath(), join(root, 'bin', 'busybox'));
  const list = await runProcess(busyboxPath(), ['--list-full']);
  for (const applet of list.stdout.split('\n').filter(Boolean)) {
    if (applet === 'bin/busybox') continue;
    try {
      symlinkSync('/bin/busybox', join(root, applet));
    } catch {
      // an applet listed twice
    }
  }
  writeFileSync(join(root, 'etc', 'passwd'), ALPINE_PASSWD);
  writeFileSync(join(root, 'etc', 'group'), ALPINE_GROUP);
  const imported = await runProcess(
    'sh',
    ['-c', 'tar -C "$0" -c . | "$1" import - alpine:3.10', root, DOCKER_CLI],
    { env: clientEnv(host), timeoutMs: 60_000 },
  );
  if (imported.code !== 0) throw new Error(`import alpine:3.10: ${imported.stderr}`);
  for (const tag of ['alpine:latest', 'busybox:latest']) await docker(['tag', 'alpine:3.10', tag], { host });
}

/** Parses pytest's JUnit XML into per-test outcomes. */
export function parseJunit(xml: string): SuiteResults {
  const out: SuiteResults = new Map();
  const re = /<testcase classname="([^"]*)" name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const id = `${m[1]!.replace(/^tests\.integration\./, '')}::${m[2]}`;
    const body = m[4] ?? '';
    const outcome: Outcome = /<failure/.test(body)
      ? 'failed'
      : /<error/.test(body)
        ? 'error'
        : /<skipped/.test(body)
          ? 'skipped'
          : 'passed';
    // A teardown error is reported as a second testcase of the same name: the worse outcome wins.
    if (out.get(id) === undefined || outcome === 'failed' || outcome === 'error') out.set(id, outcome);
  }
  return out;
}

/**
 * Runs the whole suite (or the tests `only` names) against `host` in a copy of it (the context tests
 * write into the tree). With `keepReport`, pytest's JUnit XML is copied there (why each test failed).
 */
export async function runSuite(
  host: string,
  timeoutMs: number,
  keepReport?: string,
  only?: readonly string[],
): Promise<SuiteResults> {
  const work = mkdtempSync('/tmp/sw-dpy-');
  try {
    cpSync(SUITE_DIR, join(work, 'suite'), { recursive: true });
    const config = join(work, 'config');
    mkdirSync(config);
    const junit = join(work, 'junit.xml');
    const pytest = [
      SYSTEM_PYTHON,
      '-m',
      'pytest',
      ...(only ? only.map(nodeId) : ['tests/integration']),
      '-q',
      '-p',
      'no:cacheprovider',
      '--timeout=120',
      `--junitxml=${junit}`,
    ];
    const r = await runProcess('sh', ['-c', 'cd "$0" && exec "$@"', join(work, 'suite'), ...pytest], {
      env: { DOCKER_HOST: host, DOCKER_CONFIG: config, SETUPTOOLS_USE_DISTUTILS: 'stdlib' },
      timeoutMs,
    });
    let xml: string;
    try {
      xml = readFileSync(junit, 'utf8');
    } catch {
      throw new Error(
        `pytest wrote no report (exit ${r.code}): ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`,
      );
    }
    if (keepReport) writeFileSync(keepReport, xml);
    return parseJunit(xml);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** pytest's node id of a test id (`api_build_test.BuildTest::test_x` → `tests/integration/api_build_test.py::BuildTest::test_x`). */
export function nodeId(id: string): string {
  const [where = '', name = ''] = id.split('::');
  const dot = where.indexOf('.');
  return `tests/integration/${where.slice(0, dot)}.py::${where.slice(dot + 1)}::${name}`;
}

/** Counts of each outcome. */
export function tally(results: SuiteResults): Record<Outcome, number> {
  const t: Record<Outcome, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const o of results.values()) t[o]++;
  return t;
}

/**
 * Tests docker-py itself marks `@pytest.mark.xfail` (e.g. `reason='Flaky test'`): pytest reports them
 * passed or skipped at random, so a pass on one side and a skip on the other says nothing about the
 * chain. Read from the suite's sources (`module.Class::test` ids match by module and name).
 */
export function xfailTests(): Set<string> {
  const out = new Set<string>();
  const dir = join(SUITE_DIR, 'tests', 'integration');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.py'))) {
    const module = file.slice(0, -3);
    const text = readFileSync(join(dir, file), 'utf8');
    for (const m of text.matchAll(/@pytest\.mark\.xfail[^\n]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*def (test_\w+)/g))
      out.add(`${module}:${m[1]}`);
  }
  return out;
}

/** True when test id `module.Class::name` is one of {@link xfailTests}. */
export function isXfail(id: string, xfail: Set<string>): boolean {
  const [where = '', name = ''] = id.split('::');
  return xfail.has(`${where.split('.')[0]}:${name}`);
}
