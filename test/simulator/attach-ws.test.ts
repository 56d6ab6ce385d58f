/**
 * `GET /containers/{id}/attach/ws` with a real websocket client (ws) against `dockerserver → simulator`
 * and against a private real dockerd: the same handshake (101, `Upgrade: websocket`, an accept key ws
 * checks), stdin and output as binary frames, unmultiplexed stdout + stderr from the log, the same close
 * code when the attach ends, and the same plain 404 for a container that does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { docker, until } from '../harness/index.js';
import { type Pair, startPair } from './cli-sim.js';

interface Session {
  ws: WebSocket;
  status: number;
  upgrade: string | undefined;
  frames: { data: Buffer; binary: boolean }[];
  closed: Promise<number>;
}

/** Opens the websocket; resolves once it is open, or with the plain answer when there is no upgrade. */
function open(host: string, path: string): Promise<Session | { status: number; body: string }> {
  const ws = new WebSocket(`ws+unix://${host.replace(/^unix:\/\//, '')}:${path}`);
  const frames: Session['frames'] = [];
  ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data: Buffer.from(data), binary }));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  return new Promise((resolve, reject) => {
    let status = 0;
    let upgrade: string | undefined;
    ws.once('upgrade', (res) => {
      status = res.statusCode ?? 0;
      upgrade = res.headers.upgrade;
    });
    ws.once('open', () => resolve({ ws, status, upgrade, frames, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

function session(s: Session | { status: number; body: string }): Session {
  if (!('ws' in s)) throw new Error(`no upgrade: ${s.status} ${s.body}`);
  return s;
}

const text = (s: Session) => Buffer.concat(s.frames.map((f) => f.data)).toString();

describe('attach over a websocket: simulator vs a real dockerd', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair();
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('stdin in, output out as binary frames, through the same handshake', { timeout: 60_000 }, async () => {
    const seen: { status: number; upgrade: string | undefined; echo: string; binary: boolean[] }[] = [];
    for (const host of [p.sim, p.real]) {
      const run = await docker(
        ['run', '-d', '-i', '--name', 'wsc', '--network', 'none', 'busybox:local', 'cat'],
        {
          host,
        },
      );
      expect(run.code, run.stderr).toBe(0);
      // Only stream=1 asked: dockerd attaches stdin, stdout and stderr on this endpoint anyway.
      const s = session(await open(host, '/v1.41/containers/wsc/attach/ws?stream=1'));
      s.ws.send('hello over a websocket\n');
      await until(() => text(s).includes('\n'), 10_000, 'the echo');
      seen.push({
        status: s.status,
        upgrade: s.upgrade,
        echo: text(s),
        binary: s.frames.map((f) => f.binary),
      });
      s.ws.close(1000);
      expect(await s.closed).toBe(1000);
      expect((await docker(['rm', '-f', 'wsc'], { host })).code).toBe(0);
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toMatchObject({ status: 101, upgrade: 'websocket', echo: 'hello over a websocket\n' });
    expect(seen[0]?.binary.every(Boolean)).toBe(true);
  });

  it('logs=1 replays stdout and stderr unmultiplexed, then closes as dockerd does', {
    timeout: 60_000,
  }, async () => {
    const seen: { out: string; code: number }[] = [];
    for (const host of [p.sim, p.real]) {
      const script = 'echo out; echo err >&2';
      expect(
        (
          await docker(['run', '--name', 'wsl', '--network', 'none', 'busybox:local', 'sh', '-c', script], {
            host,
          })
        ).code,
      ).toBe(0);
      const s = session(await open(host, '/v1.41/containers/wsl/attach/ws?logs=1&stream=0'));
      const code = await s.closed;
      // Lines sorted: dockerd copies stdout and stderr apart, so which of the two came first is a race.
      seen.push({ out: text(s).split('\n').sort().join('\n'), code });
      expect((await docker(['rm', 'wsl'], { host })).code).toBe(0);
    }
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]?.out).toBe('\nerr\nout');
  });

  it('a container that does not exist: the same plain 404, no upgrade', { timeout: 30_000 }, async () => {
    const answers = [];
    for (const host of [p.sim, p.real])
      answers.push(await open(host, '/v1.41/containers/nope/attach/ws?stream=1'));
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ status: 404 });
  });
});
