/**
 * Upgrades that are not Docker's own hijack, through dockerserver → dockerclient → a private dockerd,
 * compared with the same exchange straight to the daemon. BuildKit's session (no buildx client exists
 * here, so a small client plays it): `POST /session` and `POST /grpc` with `Upgrade: h2c` get dockerd's
 * own `101 Switching Protocols` with its headers, then HTTP/2 bytes flow both ways over the raw pipe. And
 * `GET /containers/{id}/attach/ws` with a real websocket client (ws).
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { docker, until } from '../harness/index.js';
import { type Chain, expectSettled, startChain, stopChain } from './cli-chain.js';

/** HTTP/2's client connection preface, then an empty SETTINGS frame (length 0, type 4, flags 0, stream 0). */
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

interface Upgraded {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  socket: Socket;
  received: Buffer[];
}

/** Sends an upgrade request on `socketPath` and resolves at the 101 (rejects on a plain answer). */
function upgrade(
  socketPath: string,
  path: string,
  headers: Record<string, string | string[]>,
): Promise<Upgraded> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method: 'POST',
      path,
      headers: { Connection: 'Upgrade', Upgrade: 'h2c', ...headers },
    });
    req.once('upgrade', (res, socket, head) => {
      const received: Buffer[] = head.length > 0 ? [head] : [];
      socket.on('data', (c: Buffer) => received.push(c));
      resolve({ status: res.statusCode ?? 0, headers: res.headers, socket, received });
    });
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new Error(`${res.statusCode}: ${Buffer.concat(chunks).toString()}`)));
    });
    req.once('error', reject);
    req.end();
  });
}

const socketOf = (host: string) => host.replace(/^unix:\/\//, '');
/** The headers that matter of a 101 (Date and the like are not sent on a 101). */
const shape = (u: Upgraded) => ({
  status: u.status,
  connection: u.headers.connection,
  upgrade: u.headers.upgrade,
});

describe('BuildKit session upgrades (h2c) through the chain, vs direct', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(() => stopChain(chain));

  it('POST /grpc: 101 like dockerd, then our HTTP/2 preface is answered with the server SETTINGS frame', async () => {
    const results: Upgraded[] = [];
    for (const host of [chain.d.host, chain.host]) {
      const u = await upgrade(socketOf(host), '/grpc', {});
      u.socket.write(Buffer.concat([PREFACE, SETTINGS]));
      // A SETTINGS frame from the server: type byte 4 at offset 3 of the first frame.
      await until(() => Buffer.concat(u.received).length >= 9, 10_000, 'the server SETTINGS frame');
      const first = Buffer.concat(u.received);
      expect(first[3]).toBe(4);
      u.socket.destroy();
      results.push(u);
    }
    expect(shape(results[1]!)).toEqual(shape(results[0]!));
    expect(shape(results[0]!)).toEqual({ status: 101, connection: 'Upgrade', upgrade: 'h2c' });
    expect(chain.ops).toContain('session.grpc');
  });

  it('POST /session: 101 like dockerd with the session headers carried; the daemon speaks HTTP/2 first', async () => {
    const results: Upgraded[] = [];
    for (const [i, host] of [chain.d.host, chain.host].entries()) {
      const u = await upgrade(socketOf(host), '/session', {
        'X-Docker-Expose-Session-Uuid': `test-session-${i}-${Date.now()}`,
        'X-Docker-Expose-Session-Name': 'upgrades-test',
        'X-Docker-Expose-Session-Sharedkey': 'k',
        'X-Docker-Expose-Session-Grpc-Method': [
          '/moby.filesync.v1.FileSync/DiffCopy',
          '/moby.health.v1/Check',
        ],
      });
      // dockerd dials back over the hijacked connection as an HTTP/2 client: its preface arrives.
      await until(() => Buffer.concat(u.received).length >= PREFACE.length, 10_000, "the daemon's preface");
      expect(Buffer.concat(u.received).subarray(0, PREFACE.length)).toEqual(PREFACE);
      u.socket.destroy();
      results.push(u);
    }
    expect(shape(results[1]!)).toEqual(shape(results[0]!));
    expect(chain.ops).toContain('session');
  });

  it('GET /containers/{id}/attach/ws: the websocket handshake passes through; stdin and output flow', async () => {
    const run = await docker(['run', '-d', '-i', '--network', 'none', 'busybox:local', 'cat'], {
      host: chain.d.host,
    });
    const id = run.stdout.trim();
    const echoes: string[] = [];
    for (const host of [chain.d.host, chain.host]) {
      const url = `ws+unix://${socketOf(host)}:/v1.41/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1`;
      const ws = new WebSocket(url);
      const got: Buffer[] = [];
      ws.on('message', (data: Buffer) => got.push(Buffer.from(data)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(`via ${host === chain.host ? 'chain' : 'direct'}\n`);
      await until(() => Buffer.concat(got).toString().includes('\n'), 10_000, 'the echo');
      echoes.push(Buffer.concat(got).toString());
      ws.terminate();
    }
    expect(echoes).toEqual(['via direct\n', 'via chain\n']);
    expect(chain.ops.filter((o) => o === 'container.attach').length).toBeGreaterThan(0);
    await docker(['rm', '-f', id], { host: chain.d.host });
  });

  it('a build context cut off mid-upload ends the call to the daemon at once (no socket left until the deadline)', async () => {
    const req = request({
      socketPath: socketOf(chain.host),
      method: 'POST',
      path: '/v1.41/build?t=cut:1',
      headers: { 'Content-Type': 'application/x-tar', 'Transfer-Encoding': 'chunked' },
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(1 << 20));
    // The upload reached the daemon: dockerclient holds the build's stream slot.
    await until(() => chain.dc.engine.streamsOpen === 1, 10_000, 'the build to reach the daemon');
    req.destroy();
    await expectSettled(chain, 8);
  });
});
