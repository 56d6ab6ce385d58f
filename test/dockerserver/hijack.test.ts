/**
 * Hijacked streams (attach, exec start) through dockerserver with the real docker CLI, against the
 * test-only mini engine: 101 upgrade, half-close right after it, stdin sent and ended before start,
 * exec-start body read from the upgraded socket, exit codes from wait / exec inspect.
 */
import { connect } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerServer } from '../../src/backends/dockerserver.js';
import { docker, raw, startServer, tempDir } from './helpers.js';
import { miniEngine } from './mini-engine.js';

let server: DockerServer;
let host: string;
let sock: string;
let cleanup: () => void;
const engine = miniEngine();

beforeAll(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  sock = `${t.dir}/d.sock`;
  host = `unix://${sock}`;
  server = await startServer(engine, [host]);
});
afterAll(async () => {
  await server.stop();
  cleanup();
});

describe('hijacked streams with the docker CLI', () => {
  it('docker run --rm prints output although the CLI half-closes right after 101, and exits with the status', async () => {
    const ok = await docker(host, ['run', '--rm', '--network', 'none', 'img', 'echo', 'hello', 'front']);
    expect(ok).toEqual({ code: 0, stdout: 'hello front\n', stderr: '' });
    const failed = await docker(host, ['run', '--rm', '--network', 'none', 'img', 'fail', '3']);
    expect(failed).toEqual({ code: 3, stdout: '', stderr: 'failing\n' });
  });

  it('run -i buffers stdin sent and ended before start, then streams output until exit', async () => {
    const res = await docker(host, ['run', '-i', '--rm', '--network', 'none', 'img', 'cat'], {
      input: 'piped-in\nsecond line\n',
    });
    expect(res).toEqual({ code: 0, stdout: 'piped-in\nsecond line\n', stderr: '' });
  });

  it('exec reads the start body from the upgraded socket; exec -i forwards stdin; exit code comes through', async () => {
    const created = await docker(host, ['create', '--network', 'none', 'img', 'sleep']);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const e = await docker(host, ['exec', id, 'fail', '4']);
    expect(e).toEqual({ code: 4, stdout: '', stderr: 'failing\n' });
    const i = await docker(host, ['exec', '-i', id, 'cat'], { input: 'line1\nline2\n' });
    expect(i).toEqual({ code: 0, stdout: 'line1\nline2\n', stderr: '' });
  });

  it('answers an upgrade for a missing container with a JSON 404 (no 101) and closes', async () => {
    const s = connect(sock);
    s.write(
      'POST /v1.41/containers/nosuch/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n',
    );
    const answer = (await buffer(s)).toString();
    expect(answer).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(answer).toContain('\r\nContent-Type: application/json\r\n');
    expect(answer.endsWith('\r\n\r\n{"message":"No such container: nosuch"}\n')).toBe(true);
  });

  it('reads an exec-start body split across writes before treating bytes as stdin', async () => {
    const created = await docker(host, ['create', 'img', 'x']);
    const id = created.stdout.trim();
    const execReply = await fetchJson(`/v1.41/containers/${id}/exec`, { Cmd: ['cat'], AttachStdin: true });
    const execId = execReply.Id as string;
    const body = '{"Detach":false,"Tty":false}';
    const s = connect({ path: sock, allowHalfOpen: true });
    const read = buffer(s);
    s.write(
      `POST /v1.41/exec/${execId}/start HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    setTimeout(() => {
      s.write(`${body.slice(10)}stdin-bytes`);
      s.end();
    }, 30);
    const out = await read;
    const text = out.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    expect(text).toContain('Content-Type: application/vnd.docker.raw-stream\r\n');
    const payload = out.subarray(out.indexOf('\r\n\r\n') + 4);
    expect(payload.subarray(8).toString()).toBe('stdin-bytes');
    expect(payload[0]).toBe(1);
  });
});

async function fetchJson(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await raw(sock, 'POST', path, JSON.stringify(body), { 'Content-Type': 'application/json' });
  return JSON.parse(res.body) as Record<string, unknown>;
}
