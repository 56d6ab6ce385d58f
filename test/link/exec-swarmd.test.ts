import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SwarmdProcess, startSwarmd, until } from '../harness/index.js';
import { tempDir } from './support.js';

const dir = tempDir();
const sock = join(dir, 'e.sock');
let swarmd: SwarmdProcess;

/** One HTTP request to swarmd's Docker API socket. */
function http(method: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, method, path }, (res) => {
      text(res)
        .then((t) => resolve({ status: res.statusCode ?? 0, body: t ? JSON.parse(t) : undefined }))
        .catch(reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe("swarmd 'dockerserver …' 'exec node examples/echo-stage.mjs'", () => {
  beforeAll(async () => {
    swarmd = await startSwarmd([`dockerserver unix://${sock}`, 'exec node examples/echo-stage.mjs'], 20_000, {
      logLevel: 'info',
    });
  });
  afterAll(async () => {
    await swarmd.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves Docker API requests from the external program', async () => {
    expect(swarmd.stderr()).toMatch(/running "node examples\/echo-stage.mjs" \(pid \d+\)/);
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
    let after = before;
    await until(
      async () => {
        const r = await http('GET', '/v1.41/version');
        if (r.status === 200) after = (r.body as { pid: number }).pid;
        return after !== before;
      },
      15_000,
      'a new program pid',
      200,
    );
    expect(after).not.toBe(before);
    expect(swarmd.stderr()).toMatch(/restarted/);
  });
});
