/**
 * Issue 10 item 2: a peer of `listen --token` that never authenticates must hold bounded memory for a
 * bounded time. The four probes of the report, each through a real `listen` stage on a unix socket
 * speaking raw frames; each session must end within its budget, and a good client is served after.
 * On the old main every session here stayed open (the byte probes grew RSS by 180-330 MB).
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { type ListenInstance, listenStage } from '../../src/backends/listen.js';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import type { StageContext } from '../../src/backends/stage.js';
import { type Clock, SimulatedClock, systemClock } from '../../src/clock.js';
import { RefKind } from '../../src/libchan/frames.js';
import { EOF, unix } from '../../src/libchan/index.js';
import { pipe } from '../../src/libchan/pipe.js';
import { dataFrame, openFrame, pingFrame, RawPeer } from '../libchan/raw-peer.js';
import { ask, ctx, echoDownstream, tempDir, until } from '../link/support.js';

const TOKEN = 'preauth-token-of-at-least-16-bytes';
const dir = tempDir();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A logger whose lines the test can read. */
function capturingLog(): { log: StageContext['log']; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push((JSON.parse(l) as { msg: string }).msg);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

/** `listen unix://… --token T <extra>` in front of an echo downstream. */
async function listenWithToken(extra: string[] = [], clock: Clock = systemClock) {
  const path = join(dir, `l${cleanups.length}.sock`);
  const { log, lines } = capturingLog();
  const c: StageContext = { ...ctx('listen#1', echoDownstream(), clock), log };
  const l = listenStage.create([`unix://${path}`, '--token', TOKEN, ...extra], c) as ListenInstance;
  await l.start?.();
  cleanups.push(() => l.stop?.());
  return { l, path, lines };
}

/** A `remote --token` stage (the good client): it must get its echo through the same listener. */
async function goodClient(path: string): Promise<void> {
  const r = (await remoteStage.create(
    [`unix://${path}`, '--token', TOKEN],
    ctx('remote#1'),
  )) as RemoteInstance;
  try {
    await r.start?.();
    // More than the pre-auth byte budget, once authenticated: the limits are lifted.
    const big = 'x'.repeat(100 * 1024);
    const [reply] = await ask(r.handle, 'get', { big });
    expect(reply).toMatchObject({ verb: 'set', args: { echo: 'get', args: { big } } });
  } finally {
    await r.stop?.();
  }
}

describe('listen --token: sessions that never authenticate', () => {
  it('an idle session is ended at the 5 s deadline (simulated clock)', async () => {
    const clock = new SimulatedClock();
    const { l, path } = await listenWithToken([], clock);
    const peer = await RawPeer.open(path);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    clock.advance(4999);
    await new Promise((r) => setTimeout(r, 50));
    expect(l.sessions).toBe(1);
    clock.advance(1);
    await until(() => l.sessions === 0, 2000, 'the idle session to end');
    await until(() => peer.goAway() !== undefined, 2000, 'GOAWAY');
    expect(peer.goAway()?.reason).toMatch(/not authenticated within 5000 ms/);
    await goodClient(path);
  });

  it('a session with one open channel and no message is ended at the deadline', async () => {
    const clock = new SimulatedClock();
    const { l, path } = await listenWithToken([], clock);
    const peer = await RawPeer.open(path);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    peer.sock.write(openFrame(1));
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(5000);
    await until(() => l.sessions === 0, 2000, 'the session to end');
    expect(peer.goAway()?.reason).toMatch(/not authenticated/);
    await goodClient(path);
  });

  it('300 x 1 MiB PINGs to a peer that never reads: ended at the first one', async () => {
    const { l, path } = await listenWithToken();
    const peer = await RawPeer.open(path, false);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    const ping = pingFrame(1 << 20);
    // Stops pouring once the session is gone: how much went out by then is what the listener took.
    const sent = await peer.pour((i) => (i < 300 && l.sessions > 0 ? ping : undefined), 300 << 20);
    expect(l.sessions).toBe(0);
    expect(sent).toBeLessThan(16 << 20);
    await goodClient(path);
  });

  it('unfinished multi-frame messages on 3 channels: ended past the byte and channel budget', async () => {
    const { l, path } = await listenWithToken();
    const peer = await RawPeer.open(path);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    peer.sock.write(Buffer.concat([openFrame(1), openFrame(3), openFrame(5)]));
    const part = dataFrame(1, 32 * 1024, true);
    await peer.pour(() => part, 16 << 20);
    await until(() => l.sessions === 0, 3000, 'the session to end');
    expect(peer.goAway()?.reason).toMatch(/session refused: (opened over 2 channels|sent over 65536 bytes)/);
    await goodClient(path);
  });

  it('200k empty channels: ended at the third', async () => {
    const { l, path } = await listenWithToken();
    const peer = await RawPeer.open(path);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    const batch = (i: number) =>
      i < 200
        ? Buffer.concat(Array.from({ length: 1000 }, (_, k) => openFrame(2 * (i * 1000 + k) + 1)))
        : undefined;
    await peer.pour(batch, 4 << 20);
    await until(() => l.sessions === 0, 3000, 'the session to end');
    expect(peer.goAway()?.reason).toMatch(/opened over 2 channels|sent over 65536 bytes/);
    await goodClient(path);
  });

  it('1000 nested streams x 256 KiB before authenticating: ended at the first stream', async () => {
    const { l, path } = await listenWithToken();
    const peer = await RawPeer.open(path);
    cleanups.push(() => peer.destroy());
    await until(() => l.sessions === 1);
    peer.sock.write(openFrame(1));
    const stream = (i: number) =>
      i < 1000
        ? Buffer.concat([openFrame(2 * i + 3, RefKind.OutStream, 1), dataFrame(2 * i + 3, 256 * 1024)])
        : undefined;
    await peer.pour(stream, 300 << 20);
    await until(() => l.sessions === 0, 3000, 'the session to end');
    expect(peer.goAway()?.reason).toMatch(/opened a byte stream before authenticating/);
    await goodClient(path);
  });

  it('values that are not Messages: one log line per session, and the session ends', async () => {
    const { l, path, lines } = await listenWithToken();
    const s = await unix.connect({ path });
    cleanups.push(() => s.destroy());
    const ch = s.newSendChannel<unknown>();
    const [rx, tx] = pipe<Message>();
    await ch.send({ verb: 'control', args: { token: TOKEN }, ret: tx });
    expect(await rx.receive()).toMatchObject({ verb: 'ack' });
    for (let i = 0; i < 50; i++) {
      try {
        await ch.send({ not: 'a message', i });
      } catch {
        break; // the session ended under us
      }
    }
    await until(() => l.sessions === 0, 3000, 'the session to end');
    expect(lines.filter((m) => /not Messages/.test(m))).toHaveLength(1);
    expect(await rx.receive()).toBe(EOF);
    await goodClient(path);
  });

  it('--max-connections: a connection beyond it is closed at once, logged once, and a slot frees again', async () => {
    const { l, path, lines } = await listenWithToken(['--max-connections', '2']);
    const a = await RawPeer.open(path);
    const b = await RawPeer.open(path);
    cleanups.push(
      () => a.destroy(),
      () => b.destroy(),
    );
    await until(() => l.sessions === 2);
    const extra = await Promise.all([RawPeer.open(path), RawPeer.open(path), RawPeer.open(path)]);
    for (const p of extra) {
      await p.closed;
      expect(p.seen).toEqual([]);
    }
    expect(lines.filter((m) => /refusing connections over --max-connections 2/.test(m))).toHaveLength(1);
    a.destroy();
    await until(() => l.sessions === 1);
    await goodClient(path);
  });

  it('--max-connections wants a positive integer', () => {
    expect(() => listenStage.create(['unix:///tmp/x.sock', '--max-connections', '0'], ctx('l'))).toThrow(
      /--max-connections wants an integer >= 1/,
    );
  });
});
