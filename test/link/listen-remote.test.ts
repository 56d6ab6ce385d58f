import { rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { type ListenInstance, listenStage } from '../../src/backends/listen.js';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { pipe, type Session, unix } from '../../src/libchan/index.js';
import { EOF } from '../../src/libchan/types.js';
import { sharedTlsPems } from '../harness/tls.js';
import { until } from '../harness/until.js';
import { ask, ctx, echoDownstream, errText, recorder, tempDir } from './support.js';

const dir = tempDir();
const TOKEN = 's3cret-s3cret-s3cret';
const stops: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  rmSync(dir, { recursive: true, force: true });
});

async function listen(args: string[], down = echoDownstream()) {
  const inst = (await listenStage.create(args, ctx('listen#1', down))) as ListenInstance;
  await inst.start?.();
  stops.push(() => inst.stop?.());
  return { inst, down };
}

async function remote(args: string[], clock?: SimulatedClock) {
  const inst = (await remoteStage.create(args, ctx('remote#2', undefined, clock))) as RemoteInstance;
  stops.push(() => inst.stop?.());
  return inst;
}

describe('listen + remote in one process', () => {
  it('forwards requests and returns replies, including a byte stream, over unix', async () => {
    const sock = join(dir, 'a.sock');
    const down = echoDownstream();
    down.send = (m: Message) => {
      if (m.verb === 'attach') {
        const out = new PassThrough();
        void m.ret?.send({ verb: 'ack', args: { mode: 'raw-stream' }, stream: out });
        m.ret?.close();
        out.end('bytes from the far side');
        return undefined;
      }
      void m.ret?.send({ verb: 'set', args: { echo: m.verb, args: m.args } });
      m.ret?.close();
      return undefined;
    };
    const { inst: l } = await listen([`unix://${sock}`], down);
    expect(l.describe?.()).toBe(
      `accepting remote stages on unix://${sock} (no auth: anyone who can connect drives this chain)`,
    );
    const r = await remote([`unix://${sock}`]);
    await r.start?.();
    expect(r.linkState).toBe('up');
    expect(await ask(r.handle, 'ls', { all: true })).toEqual([
      { verb: 'set', args: { echo: 'ls', args: { all: true } } },
    ]);
    const [ack] = await ask(r.handle, 'attach', { id: 'c1' });
    expect(ack?.verb).toBe('ack');
    const text = ack?.stream ? await readText(ack.stream) : '';
    expect(text).toBe('bytes from the far side');
  });

  it('token: the right token links; a wrong one is refused with a clear error and no link', async () => {
    const sock = join(dir, 'tok.sock');
    await listen([`unix://${sock}`, '--token', TOKEN]);
    const good = await remote([`unix://${sock}`, '--token', TOKEN]);
    await good.start?.();
    expect((await ask(good.handle, 'get'))[0]?.verb).toBe('set');
    const bad = await remote([`unix://${sock}`, '--token', 'nope-nope-nope-nope']);
    await bad.start?.();
    expect(bad.linkState).toBe('down');
    const [err] = await ask(bad.handle, 'get');
    expect(err).toMatchObject({ verb: 'error', args: { code: ErrorCode.ConnectionLost, status: 503 } });
    expect(errText(err)).toMatch(/refused the token: .*authentication failed/);
  });

  it('token: a session whose first message is not control {token} gets an error and is closed', async () => {
    const sock = join(dir, 'tok2.sock');
    const { down } = await listen([`unix://${sock}`, '--token', TOKEN]);
    const s = await unix.connect({ path: sock });
    const ch = s.newSendChannel<Message>();
    // A pipe, not the test recorder: plain-object Senders cannot cross a session (codec limitation).
    const [rx, tx] = pipe<Message>();
    await ch.send({ verb: 'ls', args: {}, ret: tx });
    const err = await rx.receive();
    expect(await rx.receive()).toBe(EOF);
    expect(err).toMatchObject({ verb: 'error', args: { status: 401 } });
    expect(errText(err as Message)).toMatch(/authentication failed.*control \{token\}/);
    expect(await s.done).toBeUndefined(); // closed by the listener (GOAWAY), not left open
    expect(down.seen).toHaveLength(0);
  });

  it('refuses a plain listener off loopback unless --token, TLS or --insecure, naming the fix', () => {
    expect(() => listenStage.create(['tcp://0.0.0.0:4243'], ctx('listen#1'))).toThrow(
      /refusing an unauthenticated listener on tcp:\/\/0\.0\.0\.0:4243.*--token.*--insecure/,
    );
    expect(() => listenStage.create(['ws://10.1.2.3:80/'], ctx('listen#1'))).toThrow(/--insecure/);
    for (const ok of [
      ['tcp://0.0.0.0:4243', '--insecure'],
      ['tcp://0.0.0.0:4243', '--token', 'a-token-of-16-bytes'],
      ['tcp://127.0.0.1:4243'],
      ['ws://localhost:4243/'],
    ]) {
      expect(() => listenStage.create(ok, ctx('listen#1'))).not.toThrow();
    }
    expect(() => listenStage.create(['tls://0.0.0.0:1'], ctx('listen#1'))).toThrow(/--tlscert and --tlskey/);
    expect(() => listenStage.create(['http://x:1'], ctx('listen#1'))).toThrow(/unsupported URL/);
    expect(() => remoteStage.create(['tcp://x:1', '--bogus'], ctx('remote#1'))).toThrow(
      /unknown option --bogus/,
    );
    expect(() => remoteStage.create(['tcp://x:1', '--deadline', 'soon'], ctx('remote#1'))).toThrow(
      /--deadline/,
    );
  });

  it('in-flight requests get ConnectionLost (502) naming stage and url when the far end dies', async () => {
    const sock = join(dir, 'drop.sock');
    const sessions: Session[] = [];
    let received = 0;
    const far = await unix.listen({ path: sock }, (s) => {
      sessions.push(s);
      void (async () => {
        // Count and hold everything: no reply is ever sent.
        for await (const rx of s.channels<Message>()) for await (const _m of rx) received++;
      })().catch(() => {});
    });
    stops.push(() => far.close());
    const r = await remote([`unix://${sock}`]);
    await r.start?.();
    const pending = [recorder(), recorder()];
    for (const p of pending) void r.handle({ verb: 'wait', args: {}, ret: p });
    await until(() => received === 2 && r.inFlight === 2, 2000, 'requests at the far end');
    for (const s of sessions) s.destroy();
    for (const p of pending) {
      const [err] = await p.done;
      expect(err).toMatchObject({ verb: 'error', args: { code: ErrorCode.ConnectionLost, status: 502 } });
      expect(errText(err)).toMatch(new RegExp(`stage remote#2: link to unix://${sock} lost`));
    }
    expect(r.inFlight).toBe(0);
    expect(r.linkState).not.toBe('up');
    // Nothing was retried behind the caller's back: the far side saw each request once.
    expect(received).toBe(2);
  });

  it('a graceful stop of the listener also answers in-flight requests with ConnectionLost', async () => {
    const sock = join(dir, 'graceful.sock');
    const { inst: l, down } = await listen([`unix://${sock}`]);
    const r = await remote([`unix://${sock}`]);
    await r.start?.();
    const p = recorder();
    void r.handle({ verb: 'wait', args: {}, ret: p });
    await until(() => down.held.length === 1, 2000, 'request held');
    await l.stop?.();
    expect((await p.done)[0]).toMatchObject({ args: { code: ErrorCode.ConnectionLost, status: 502 } });
  });
});

describe('mutual TLS over wss://', () => {
  it('links with a client certificate from the trusted CA and refuses one from another CA', async () => {
    const c = sharedTlsPems();
    const f = (name: string, pem: string) => {
      const p = join(dir, name);
      writeFileSync(p, pem, { mode: 0o600 });
      return p;
    };
    const ca = f('ca.pem', c.ca);
    const { inst: l } = await listen([
      'wss://127.0.0.1:0/link',
      '--tlscert',
      f('server.pem', c.serverCert),
      '--tlskey',
      f('server.key', c.serverKey),
      '--tlscacert',
      ca,
    ]);
    expect(l.describe?.()).toMatch(
      /^accepting remote stages on wss:\/\/127\.0\.0\.1:\d+\/link \(mutual TLS\)$/,
    );
    const url = l.address as string;
    const good = await remote([
      url,
      '--tlscert',
      f('client.pem', c.clientCert),
      '--tlskey',
      f('client.key', c.clientKey),
      '--tlscacert',
      ca,
    ]);
    await good.start?.();
    expect((await ask(good.handle, 'ls'))[0]).toMatchObject({ verb: 'set', args: { echo: 'ls' } });
    const rogue = await remote([
      url,
      '--tlscert',
      f('rogue.pem', c.rogueCert),
      '--tlskey',
      f('rogue.key', c.rogueKey),
      '--tlscacert',
      ca,
    ]);
    await rogue.start?.();
    expect(rogue.linkState).toBe('down');
    const none = await remote([url, '--tlscacert', ca]);
    await none.start?.();
    expect(none.linkState).toBe('down');
    expect((await ask(none.handle, 'ls'))[0]).toMatchObject({ args: { status: 503 } });
  });
});

describe('remote --deadline', () => {
  it('gives up a connection attempt that hangs after --deadline ms of the injected clock', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((sock) => void sockets.push(sock)); // accepts, never answers the upgrade
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    stops.push(
      () =>
        new Promise<void>((r) => {
          for (const sock of sockets) sock.destroy();
          silent.close(() => r());
        }),
    );
    const clock = new SimulatedClock();
    const port = (silent.address() as AddressInfo).port;
    const r = await remote([`ws://127.0.0.1:${port}`, '--deadline', '300'], clock);
    const started = r.start?.();
    await until(() => sockets.length === 1, 2000, 'the dial');
    clock.advance(299);
    expect(r.linkState).toBe('connecting');
    clock.advance(1);
    await started;
    expect(r.linkState).toBe('down');
    expect(errText((await ask(r.handle, 'ls'))[0])).toMatch(/no link within 300 ms/);
  });
});

describe('remote reconnects with exponential backoff on the injected clock', () => {
  let clock: SimulatedClock;
  let r: RemoteInstance;
  const sock = join(dir, 'later.sock');
  beforeAll(async () => {
    clock = new SimulatedClock();
    r = await remote([`unix://${sock}`], clock);
    await r.start?.(); // nobody listens yet: starts anyway, unlinked
  });

  it('refuses requests at once (503) while unlinked, saying when it retries', async () => {
    expect(r.linkState).toBe('down');
    const [err] = await ask(r.handle, 'ls');
    expect(err).toMatchObject({ verb: 'error', args: { code: ErrorCode.ConnectionLost, status: 503 } });
    expect(errText(err)).toMatch(/not linked to unix:.*next attempt in 100 ms/);
  });

  it('backs off 100, 200, 400 ms between failed attempts', async () => {
    const attemptAfter = async (ms: number) => {
      clock.advance(ms - 1);
      expect(r.linkState).toBe('down'); // not yet
      clock.advance(1);
      expect(r.linkState).toBe('connecting');
      await until(() => r.linkState === 'down', 2000, 'attempt to fail');
    };
    await attemptAfter(100);
    await attemptAfter(200);
    await attemptAfter(400);
  });

  it('links once the far end is up, and serves again', async () => {
    await listen([`unix://${sock}`]);
    clock.advance(800);
    await until(() => r.linkState === 'up', 2000, 'relink');
    expect((await ask(r.handle, 'ls'))[0]).toMatchObject({ verb: 'set', args: { echo: 'ls' } });
  });
});
