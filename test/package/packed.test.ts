/**
 * The package as a user gets it: `npm pack` (its prepack builds dist/), installed with production
 * dependencies only into empty projects, then swarmd, the library entry point, its types and the two
 * example stages (examples/stage-js, examples/stage-ts) run from there. Uses the registry (npm's cache
 * first) for the dependencies.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerApi, labelsOfNewContainer, startSwarmd } from '../cli/support.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(REPO, 'node_modules', '.bin', 'tsc');
const dir = mkdtempSync(join(tmpdir(), 'swd-packed-'));
let tarball = '';

/** An empty project with the tarball installed as a production dependency; `from` is copied first. */
async function installed(name: string, from?: string): Promise<string> {
  const project = join(dir, name);
  if (from) cpSync(from, project, { recursive: true, filter: (src) => !/node_modules|[/\\]dist$/.test(src) });
  else {
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  }
  await run('npm', ['install', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', tarball], {
    cwd: project,
  });
  return project;
}

const swarmdOf = (project: string) => join(project, 'node_modules', '.bin', 'swarmd');

beforeAll(async () => {
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  await run('npm', ['pack', '--pack-destination', packs], { cwd: REPO });
  const [file] = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
  tarball = join(packs, file as string);
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package, installed with production dependencies only', () => {
  let project = '';
  beforeAll(async () => {
    project = await installed('consumer');
  }, 300_000);

  it('has a build and none of the dev dependencies (no tsx to fall back on)', () => {
    expect(existsSync(join(project, 'node_modules', 'libswarm-ts', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', 'libswarm-ts', 'src'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'tsx'))).toBe(false);
  });

  it('npx swarmd --version and --help', async () => {
    const version = await run('npx', ['--no-install', 'swarmd', '--version'], { cwd: project });
    expect(version.stdout).toMatch(/^swarmd \d+\.\d+\.\d+\n$/);
    const help = await run('npx', ['--no-install', 'swarmd', '--help'], { cwd: project });
    expect(help.stdout).toMatch(/Usage:\n {2}swarmd \[options\]/);
    expect(help.stdout).toMatch(/module path \(\.\/stamp\.mjs/);
  }, 60_000);

  it('runs a chain: GET /_ping over its socket, stops on SIGTERM with exit 0', async () => {
    const sock = join(dir, 'ping.sock');
    const swarmd = await startSwarmd([`dockerserver unix://${sock}`, 'simulator n1'], 30_000, {
      bin: swarmdOf(project),
      cwd: project,
    });
    try {
      expect(await dockerApi(sock, 'GET', '/_ping')).toEqual({ status: 200, body: 'OK' });
    } finally {
      expect(await swarmd.stop()).toBe(0);
    }
    expect(swarmd.stderr()).toMatch(/SIGTERM: stopping stages in order[\s\S]*stopped/);
  }, 60_000);

  it("import { Chain, defineStage, ActorSystem } from 'libswarm-ts' runs a chain in code", async () => {
    const script = `
      import { ActorSystem, Chain, defineStage, pipe } from 'libswarm-ts';
      const answer = defineStage({ name: 'answer', role: 'terminal', summary: '', usage: 'answer', example: 'answer',
        create: (args) => ({ handle(m) { m.ret.send({ verb: 'set', args: { args } }); m.ret.close(); } }) });
      const chain = new Chain();
      await chain.start(['debug', { stage: answer, args: ['hi'] }]);
      const [rx, ret] = pipe();
      await chain.head.send({ verb: 'get', args: {}, ret });
      const reply = await rx.receive();
      await chain.stop();
      const system = new ActorSystem();
      console.log(JSON.stringify({ reply, system: typeof system.spawn }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({
      reply: { verb: 'set', args: { args: ['hi'] } },
      system: 'function',
    });
  }, 60_000);

  it('its types resolve in a strict TypeScript consumer (module nodenext, libraries checked too)', async () => {
    // @types/node and @types/ws come with the package (its declarations use them): nothing to add.
    writeFileSync(
      join(project, 'consumer.ts'),
      `import { ActorSystem, Chain, type ChainStage, type DockerArgs, defineStage, ROUTES, type Sender } from 'libswarm-ts';
const stage = defineStage({
  name: 'typed', summary: 's', usage: 'typed', example: 'typed',
  create(args, ctx) {
    const first: string | undefined = args[0];
    const next: Sender | undefined = ctx.downstream;
    return { handle: (m) => ((m.args as DockerArgs).op === 'ping' && first ? undefined : next?.send(m)) };
  },
});
const stages: ChainStage[] = ['dockerserver unix:///tmp/x.sock', { stage, args: ['a'] }, 'simulator'];
export const used = [new Chain({ cwd: '.' }), new ActorSystem(), ROUTES[0]?.op, stages] as const;
// @ts-expect-error a stage needs create
defineStage({ name: 'broken', summary: '', usage: '', example: '' });
`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    const tsc = await run(TSC, ['-p', project]).catch((e: { stdout: string }) => e);
    expect(tsc.stdout).toBe('');
  }, 120_000);
});

describe('the example stages, installed against the tarball', () => {
  it.each([
    ['stage-js', './stamp.mjs'],
    ['stage-ts', './dist/stamp.js'],
  ])(
    'examples/%s runs as dockerserver → %s → simulator and labels the containers created',
    async (example, path) => {
      const project = await installed(example, join(REPO, 'examples', example));
      if (example === 'stage-ts') {
        // @types/node and @types/ws come with the package (its declarations use them): nothing to add.
        const tsc = await run(TSC, ['-p', project]).catch((e: { stdout: string }) => e);
        expect(tsc.stdout).toBe('');
      }
      const sock = join(dir, `${example}.sock`);
      const swarmd = await startSwarmd(
        [`dockerserver unix://${sock}`, `${path} team=${example}`, 'simulator n1'],
        30_000,
        {
          bin: swarmdOf(project),
          cwd: project,
        },
      );
      try {
        expect(swarmd.stderr()).toMatch(/stage stamp#2 up/);
        expect(await labelsOfNewContainer(sock)).toEqual({ mine: 'kept', team: example });
      } finally {
        expect(await swarmd.stop()).toBe(0);
      }
    },
    300_000,
  );
});
