/**
 * Issue 10 item 4: upgraded (hijacked) requests never timed out. node:http's header and request
 * deadlines stop at the 'upgrade' event, so `POST /containers/x/attach` with `Content-Length: 100` and
 * no body stayed open for good, and any number of clients could each park up to 16 MiB of body there.
 * Now an upgrade's body has the request deadline (`--request-timeout`, 408 after it) and the body
 * limit of a plain request (413), only `--max-pending-upgrades` upgrades may wait for their body at
 * once (503 beyond), and a socket answered without an upgrade is closed even if the client never does.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Front, startFront } from './http-front.js';
import { closed, exchange, open, parseAnswer, request } from './http-raw.js';

let front: Front | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await front?.stop();
  front = undefined;
});

const UPGRADE = { Connection: 'Upgrade', Upgrade: 'tcp', 'Content-Type': 'application/json' };

/** An upgrade request's head, with the given Content-Length and none of its body. */
function attachHead(id: string, length: number): string {
  const lines = Object.entries({ Host: 'docker', ...UPGRADE, 'Content-Length': String(length) });
  return `POST /v1.41/containers/${id}/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

async function created(f: Front): Promise<string> {
  const { Id } = f.sim.engine.create({}, { Image: 'busybox:local', Cmd: ['cat'], OpenStdin: true });
  return Id;
}

describe('the body of an upgrade request', () => {
  it('that never comes gets 408 after --request-timeout, and the server closes the socket', async () => {
    front = await startFront(['--request-timeout', '0.5']);
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write(attachHead(await created(front), 100)); // no body, and no FIN from us
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body).message).toBe(
      'request body not received within 0.5 s: got 0 of 100 bytes',
    );
  });

  it('that stalls half way gets the same 408 (the deadline is for the whole body)', async () => {
    front = await startFront(['--request-timeout', '0.5']);
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write(`${attachHead(await created(front), 100)}{"Detach":`);
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).message).toMatch(/got 10 of 100 bytes/);
  });

  it('over the body limit gets 413 with the same message as a plain request', async () => {
    front = await startFront();
    const id = await created(front);
    const big = String(16 * 1024 * 1024 + 1);
    const plain = parseAnswer(
      await exchange(front.sock, request('POST', '/v1.41/containers/create', { 'Content-Length': big }, '')),
    );
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write(attachHead(id, Number(big)));
    const upgrade = parseAnswer(await got);
    expect(plain.status).toBe(413);
    expect(upgrade.status).toBe(413);
    expect(JSON.parse(upgrade.body)).toEqual(JSON.parse(plain.body));
    expect(JSON.parse(upgrade.body).message).toBe('request body exceeds the limit of 16777216 bytes');
  });

  it('that arrives in time is served: the attach is upgraded and echoes stdin', async () => {
    front = await startFront(['--request-timeout', '0.5']);
    const id = await created(front);
    front.sim.engine.start(id);
    const s = await open(front.sock);
    sockets.push(s);
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.write(attachHead(id, 0));
    for (let i = 0; i < 200 && !got.includes('\r\n\r\n'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n/);
    // Past the deadline the upgraded stream is still open: the deadline is for the body only.
    await new Promise((r) => setTimeout(r, 700));
    s.write('hello\n');
    for (let i = 0; i < 200 && !got.includes('hello'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(got).toContain('hello');
    expect(s.destroyed).toBe(false);
  });
});

describe('pending upgrades', () => {
  it('past --max-pending-upgrades get 503 at once; a slot frees when a pending one goes', async () => {
    front = await startFront(['--max-pending-upgrades', '2']);
    const id = await created(front);
    const pending: Socket[] = [];
    for (let i = 0; i < 2; i++) {
      const s = await open(front.sock);
      sockets.push(s);
      pending.push(s);
      s.write(attachHead(id, 100));
    }
    await new Promise((r) => setTimeout(r, 100));
    const third = await open(front.sock);
    sockets.push(third);
    const got = closed(third);
    third.write(attachHead(id, 100));
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body).message).toBe(
      'too many upgrade requests waiting for their body (limit 2); try again',
    );
    // One pending client leaves: the next upgrade is served (the engine's 404, not a 503).
    pending[0]!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const next = await open(front.sock);
    sockets.push(next);
    const nextGot = closed(next);
    next.write(attachHead('nosuch', 0));
    expect(parseAnswer(await nextGot).status).toBe(404);
  });

  it('a plainly answered upgrade (404) is closed by the server although the client never closes', async () => {
    front = await startFront();
    const s = await open(front.sock);
    sockets.push(s);
    const got = closed(s);
    s.write(attachHead('nosuch', 0));
    const answer = parseAnswer(await got);
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toEqual({ message: 'No such container: nosuch' });
  });
});
