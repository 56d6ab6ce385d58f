/**
 * Issue 10 item 9: `listen unix://` deleted a socket that another server was still listening on (its
 * address silently stolen); dockerserver refused in the same case. One rule for both now.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ListenInstance, listenStage } from '../../src/backends/listen.js';
import { ctx, echoDownstream, tempDir } from '../link/support.js';

const dir = tempDir();
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

const answers = (path: string) =>
  new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });

async function startListen(path: string) {
  const l = (await listenStage.create(
    [`unix://${path}`],
    ctx('listen#1', echoDownstream()),
  )) as ListenInstance;
  stops.push(() => l.stop?.());
  await l.start?.();
  return l;
}

describe('listen unix:// and an existing path', () => {
  it('refuses a live socket, naming the fix, and leaves the other server reachable', async () => {
    const path = join(dir, 'live.sock');
    const other = createServer((s) => s.end());
    await new Promise<void>((r) => other.listen(path, r));
    stops.push(() => new Promise((r) => other.close(r)));
    await expect(startListen(path)).rejects.toThrow(
      `listen: another server is already listening on unix://${path}; stop it or choose another path`,
    );
    expect(await answers(path)).toBe(true);
  });

  it('replaces a stale socket left by a dead process', async () => {
    const path = join(dir, 'stale.sock');
    // A process that dies by SIGKILL leaves its socket file behind with nobody listening.
    const child = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise((r) => child.stdout.once('data', r));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(path)).toBe(true);
    expect(await answers(path)).toBe(false);
    const l = await startListen(path);
    expect(l.address).toBe(path);
    expect(await answers(path)).toBe(true);
  });

  it('never deletes a file that is not a socket', async () => {
    const path = join(dir, 'plain-file');
    writeFileSync(path, 'data');
    await expect(startListen(path)).rejects.toThrow(/exists and is not a socket/);
    expect(existsSync(path)).toBe(true);
  });
});
