import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './support.js';
import { type SwarmdProc, startSwarmd } from './swarmd-procs.js';

const dir = tempDir();
const sock = join(dir, 'e.sock');
let swarmd: SwarmdProc;

/** One HTTP request to swarmd's Docker API socket. */
function http(method: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe("swarmd 'dockerserver …' 'exec node examples/echo-stage.mjs'", () => {
  beforeAll(async () => {
    swarmd = await startSwarmd([`dockerserver unix://${sock}`, 'exec node examples/echo-stage.mjs']);
  });
  afterAll(async () => {
    await swarmd.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves Docker API requests from the external program', async () => {
    expect(swarmd.stderr).toMatch(/running "node examples\/echo-stage.mjs" \(pid \d+\)/);
    expect(await http('GET', '/v1.41/containers/json')).toEqual({ status: 200, body: ['echo-a', 'echo-b'] });
    const v = await http('GET', '/v1.41/version');
    expect(v).toMatchObject({ status: 200, body: { stage: 'echo', args: { op: 'version' } } });
  });

  it('the program dying fails the request with 502 and the stage comes back with a new process', async () => {
    const before = ((await http('GET', '/v1.41/version')).body as { pid: number }).pid;
    const killed = await http('POST', '/v1.41/containers/x/kill');
    expect(killed.status).toBe(502);
    expect(JSON.stringify(killed.body)).toMatch(
      /program \\"node examples\/echo-stage.mjs\\" exited with code 3/,
    );
    const deadline = Date.now() + 15_000;
    let after = before;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const r = await http('GET', '/v1.41/version');
      if (r.status === 200) after = (r.body as { pid: number }).pid;
    }
    expect(after).not.toBe(before);
    expect(swarmd.stderr).toMatch(/restarted/);
  });
});
