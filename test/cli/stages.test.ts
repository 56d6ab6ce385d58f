import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { type SwarmdProcess, startSwarmd } from '../harness/index.js';
import { dockerApi, labelsOfNewContainer, stampModule } from './support.js';

// swarmd refuses chains in the wrong order, and runs user stages given as module paths.

const dir = mkdtempSync(join(tmpdir(), 'swd-stages-'));
const running: SwarmdProcess[] = [];
afterAll(async () => {
  for (const p of running.splice(0)) p.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const err = new PassThrough();
  let text = '';
  err.on('data', (d) => (text += d));
  const code = await main(argv, new PassThrough(), err, () => {});
  return { code, err: text };
}

describe('swarmd stage order', () => {
  it('stages in the wrong order are a usage error (exit 2) naming the fix; nothing starts', async () => {
    const sock = join(dir, 'never.sock');
    const wrong = await run(['simulator', `dockerserver unix://${sock}`]);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/argument 1 "simulator": simulator answers every request itself/);
    expect(wrong.err).toContain(`in this order it works: 'dockerserver unix://${sock}' 'simulator'`);
    expect(wrong.err).not.toMatch(/stage .* up/);
    const alone = await run([`dockerserver unix://${sock}`]);
    expect(alone).toMatchObject({ code: 2, err: expect.stringMatching(/none follows it; add one after it/) });
  });
});

describe('swarmd user stages', () => {
  it('a module that does not exist or exports no stage is a usage error naming the path', async () => {
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    const missing = await run(['./nope.mjs', 'simulator']);
    expect(missing).toMatchObject({
      code: 2,
      err: expect.stringMatching(/argument 1: stage module \/.*\/nope\.mjs does not exist/),
    });
    const empty = await run([join(dir, 'empty.mjs'), 'simulator']);
    expect(empty).toMatchObject({
      code: 2,
      err: expect.stringContaining(
        `stage module ${join(dir, 'empty.mjs')}: it has no default export; the module must export default defineStage(`,
      ),
    });
  });

  it("'./stamp.mjs team=blue' between dockerserver and simulator labels every container created", async () => {
    writeFileSync(join(dir, 'stamp.mjs'), stampModule());
    const sock = join(dir, 's.sock');
    const swarmd = await startSwarmd(
      [`dockerserver unix://${sock}`, './stamp.mjs team=blue', 'simulator n1'],
      20_000,
      {
        cwd: dir,
      },
    );
    running.push(swarmd);
    expect(swarmd.stderr()).toMatch(/stage stamp#2 up/);
    expect(await labelsOfNewContainer(sock)).toEqual({ mine: 'kept', team: 'blue' });
    expect((await dockerApi(sock, 'GET', '/_ping')).body).toBe('OK');
    expect(await swarmd.stop()).toBe(0);
  }, 60_000);
});
