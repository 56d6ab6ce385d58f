/**
 * Issue 10 item 7: dockerserver had no cap on open connections, and answered every client error with
 * 400 where node itself answers 408 (header/request deadline) or 431 (headers too large). Now
 * `--max-connections N` closes connections past N at once, with one log line per burst of refusals,
 * and client errors get the right status in Docker's JSON.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseServerArgs } from '../../src/backends/docker/http-listen.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { type Front, startFront } from './http-front.js';
import { closed, exchange, open, parseAnswer, request } from './http-raw.js';

let front: Front | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await front?.stop();
  front = undefined;
});

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isSwarmError(err, ErrorCode.InvalidArgument)).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('flags', () => {
  it('defaults to 1024 connections and node:http deadlines; refuses nonsense values', () => {
    expect(parseServerArgs(['unix:///tmp/x.sock']).limits).toEqual({
      maxConnections: 1024,
      headerTimeoutMs: 60_000,
      requestTimeoutMs: 300_000,
      maxPendingUpgrades: 64,
    });
    const set = parseServerArgs([
      'unix:///tmp/x.sock',
      '--max-connections=5',
      '--request-timeout',
      '2',
    ]).limits;
    expect(set).toMatchObject({ maxConnections: 5, requestTimeoutMs: 2000, headerTimeoutMs: 2000 });
    expect(refusal(() => parseServerArgs(['--max-connections', '0']))).toMatch(
      /--max-connections must be a positive whole number/,
    );
    expect(refusal(() => parseServerArgs(['--header-timeout', '-1']))).toMatch(/--header-timeout must be/);
    expect(refusal(() => parseServerArgs(['--header-timeout', '9', '--request-timeout', '3']))).toMatch(
      /--header-timeout cannot be longer than --request-timeout/,
    );
  });
});

describe('--max-connections', () => {
  it('closes connections past the cap at once, logs one line for the burst, and serves again below it', async () => {
    front = await startFront(['--max-connections', '3']);
    const { sock } = front;
    for (let i = 0; i < 3; i++) sockets.push(await open(sock));
    // Each of these is accepted by the kernel and closed by the server before any byte is read.
    const refused = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const s = await open(sock);
        sockets.push(s);
        const got = closed(s);
        s.write(request('GET', '/_ping'));
        return got;
      }),
    );
    expect(refused).toEqual(['', '', '', '', '', '']);
    const lines = front.logs.filter((l) => /refusing new ones/.test(l.msg));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ limit: 3 });
    // One of the held connections goes: a new one is served.
    sockets[0]!.destroy();
    await closed(sockets[0]!);
    await new Promise((r) => setTimeout(r, 50));
    const ping = parseAnswer(await exchange(sock, request('GET', '/_ping')));
    expect(ping).toMatchObject({ status: 200, body: 'OK' });
    // A burst ends after 5 s without refusals; the next one gets its own single line.
    sockets.push(await open(sock));
    await new Promise((r) => setTimeout(r, 5_500));
    for (let i = 0; i < 4; i++) {
      const s = await open(sock);
      sockets.push(s);
      expect(await closed(s)).toBe('');
    }
    expect(front.logs.filter((l) => /refusing new ones/.test(l.msg))).toHaveLength(2);
  });
});

describe('client errors', () => {
  it('431 in Docker JSON for headers over the size limit', async () => {
    front = await startFront();
    const raw = `GET /_ping HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    const answer = parseAnswer(await exchange(front.sock, raw));
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ message: 'request headers too large' });
  });

  it('408 when the headers do not arrive in time; the server closes the socket itself', async () => {
    front = await startFront(['--header-timeout', '0.3', '--request-timeout', '0.6']);
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write('GET /_ping HTTP/1.1\r\nHost: x\r\n'); // and nothing more, never a FIN
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ message: 'request timed out' });
  });

  it('408 when a plain request body does not arrive in time', async () => {
    front = await startFront(['--request-timeout', '0.6']);
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write(
      'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Im',
    );
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual({ message: 'request timed out' });
  });

  it('400 in Docker JSON for a malformed request', async () => {
    front = await startFront();
    const answer = parseAnswer(await exchange(front.sock, 'NOT HTTP AT ALL\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ message: 'malformed HTTP request' });
  });
});
