/**
 * The libchan conformance suite (docs/libchan.md §6.13), one function run against every transport.
 * Each case has its own timeout; every harness is closed in afterEach.
 */
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex, PassThrough, Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import {
  bufferedPipe,
  copy,
  EOF,
  isReceiver,
  isSender,
  kReceiver,
  kSender,
  type Receiver,
  type Sender,
} from '../../src/libchan/index.js';
import { until } from '../harness/until.js';
import type { Harness, HarnessFactory, HarnessOptions } from './harness.js';

const T = 10_000;

/** Two Duplex ends joined back to back (Node 20 has no `duplexPair`). */
export function duplexPair(): [Duplex, Duplex] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const mk = (rd: PassThrough, wr: PassThrough) =>
    new Duplex({
      read() {
        rd.once('readable', () => this._read(0));
        let c: Buffer | null = rd.read();
        while (c !== null) {
          if (!this.push(c)) return;
          c = rd.read();
        }
        if (rd.readableEnded) this.push(null);
      },
      write(chunk, _e, cb) {
        wr.write(chunk, cb);
      },
      final(cb) {
        wr.end();
        cb();
      },
    });
  const a = mk(ba, ab);
  const b = mk(ab, ba);
  ab.on('end', () => b.push(null));
  ba.on('end', () => a.push(null));
  return [a, b];
}

/** A Sender with no ownership (like an actor address): counts what it gets. */
class Collector implements Sender<unknown> {
  readonly [kSender] = true as const;
  values: unknown[] = [];
  closed = false;
  send(v: unknown): undefined {
    this.values.push(v);
    return undefined;
  }
  close(): void {}
}

async function settle(ms = 20): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

function expectCode(err: unknown, code: string): void {
  expect(isSwarmError(err) ? err.code : err).toBe(code);
}

/** Defines the conformance cases for one transport. */
export function conformance(name: string, factory: HarnessFactory): void {
  describe(`libchan conformance: ${name}`, () => {
    const open: Harness[] = [];
    const tmp: string[] = [];
    const make = async (opts?: HarnessOptions) => {
      const h = await factory(opts);
      open.push(h);
      return h;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((h) => h.close()));
      for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
    });

    it('1 simple send', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<{ a: number; s: string }>();
      tx.send({ a: 1, s: 'x' });
      tx.close();
      const rx = await h.server.waitReceiveChannel<{ a: number; s: string }>();
      expect(await rx.receive()).toEqual({ a: 1, s: 'x' });
      expect(await rx.receive()).toBe(EOF);
    });

    it('2 reply on a Ret sender', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<{ op: string; ret: Sender<string> }>();
      const [replies, ret] = bufferedPipe<string>(4);
      tx.send({ op: 'hello', ret });
      const rx = await h.server.waitReceiveChannel<{ op: string; ret: Sender<string> }>();
      const req = (await rx.receive()) as { op: string; ret: Sender<string> };
      expect(isSender(req.ret)).toBe(true);
      await req.ret.send(`${req.op} back`);
      req.ret.close();
      expect(await replies.receive()).toBe('hello back');
      expect(await replies.receive()).toBe(EOF);
    });

    it('3 Sender, Receiver and byte stream in one message', { timeout: T }, async () => {
      const h = await make();
      const [fromServer, toClient] = bufferedPipe<number>(4);
      const [toServerRx, toServer] = bufferedPipe<number>(4);
      const [mine, theirs] = duplexPair();
      const tx = h.client.newSendChannel();
      tx.send({ s: toClient, r: toServerRx, io: theirs });
      const rx = await h.server.waitReceiveChannel<{ s: Sender<number>; r: Receiver<number>; io: Duplex }>();
      const m = (await rx.receive()) as { s: Sender<number>; r: Receiver<number>; io: Duplex };
      expect(isSender(m.s) && isReceiver(m.r)).toBe(true);
      await m.s.send(1);
      expect(await fromServer.receive()).toBe(1);
      await toServer.send(2);
      expect(await m.r.receive()).toBe(2);
      m.io.end('srv');
      mine.end('cli');
      expect(await text(mine)).toBe('srv');
      expect(await text(m.io)).toBe('cli');
    });

    it('4 channel in an unknown field', { timeout: T }, async () => {
      const h = await make();
      const [got, s] = bufferedPipe<string>(1);
      const tx = h.client.newSendChannel<unknown>();
      tx.send({ payload: { list: [1, { deep: s }] } });
      const rx = await h.server.waitReceiveChannel<unknown>();
      const m = (await rx.receive()) as { payload: { list: [number, { deep: unknown }] } };
      const deep = m.payload.list[1].deep;
      expect(isSender(deep)).toBe(true);
      await (deep as Sender<string>).send('found');
      expect(await got.receive()).toBe('found');
    });

    it('5 bytes written before the message is sent still arrive', { timeout: T }, async () => {
      const h = await make();
      const p = new PassThrough();
      p.write('early ');
      const tx = h.client.newSendChannel();
      tx.send({ data: p });
      p.end('late');
      const rx = await h.server.waitReceiveChannel<{ data: Readable }>();
      const m = (await rx.receive()) as { data: Readable };
      expect(await text(m.data)).toBe('early late');
    });

    it('6 a local duplex bridged both ways', { timeout: T }, async () => {
      const h = await make();
      const [a, b] = duplexPair();
      h.client.newSendChannel().send({ conn: a });
      const rx = await h.server.waitReceiveChannel<{ conn: Duplex }>();
      const { conn } = (await rx.receive()) as { conn: Duplex };
      conn.write('ping');
      const first = await new Promise<string>((r) => b.once('data', (c: Buffer) => r(c.toString())));
      expect(first).toBe('ping');
      b.write('pong');
      const back = await new Promise<string>((r) => conn.once('data', (c: Buffer) => r(c.toString())));
      expect(back).toBe('pong');
      b.end();
      conn.end();
    });

    it('7 nesting three levels deep', { timeout: T }, async () => {
      const h = await make();
      const [r1, s1] = bufferedPipe<unknown>(2);
      const [r2, s2] = bufferedPipe<unknown>(2);
      const [answers, s3] = bufferedPipe<string>(2);
      h.client.newSendChannel().send({ level1: r1 });
      await s1.send({ level2: r2 });
      await s2.send({ level3: s3 });
      const rx = await h.server.waitReceiveChannel<{ level1: Receiver<unknown> }>();
      const m1 = (await rx.receive()) as {
        level1: Receiver<{ level2: Receiver<{ level3: Sender<string> }> }>;
      };
      const m2 = (await m1.level1.receive()) as { level2: Receiver<{ level3: Sender<string> }> };
      const m3 = (await m2.level2.receive()) as { level3: Sender<string> };
      await m3.level3.send('deep');
      expect(await answers.receive()).toBe('deep');
    });

    it('8 Senders bounced back and forth', { timeout: T }, async () => {
      const h = await make();
      const [final, s] = bufferedPipe<string>(2);
      let [back, backS] = bufferedPipe<{ s: Sender<string> }>(2);
      const tx = h.client.newSendChannel<unknown>();
      tx.send({ s, back: backS });
      const rx = await h.server.waitReceiveChannel<{ s: Sender<string>; back: Sender<unknown> }>();
      for (let i = 0; i < 3; i++) {
        const m = (await rx.receive()) as { s: Sender<string>; back: Sender<unknown> };
        await m.back.send({ s: m.s }); // server → client
        m.back.close();
        const bounced = (await back.receive()) as { s: Sender<string> };
        [back, backS] = bufferedPipe<{ s: Sender<string> }>(2);
        tx.send({ s: bounced.s, back: backS }); // client → server again
      }
      const m = (await rx.receive()) as { s: Sender<string> };
      await m.s.send('after 3 round trips');
      expect(await final.receive()).toBe('after 3 round trips');
    });

    it('9 four requests through a copy proxy, counted', { timeout: T }, async () => {
      const front = await make();
      const back = await make();
      const rx = front.server.waitReceiveChannel<unknown>();
      const fwd = back.client.newSendChannel<unknown>();
      const proxied = rx.then((r) => copy(fwd, r));
      const backend = (async () => {
        const r = await back.server.waitReceiveChannel<{ n: number; ret: Sender<number> }>();
        for await (const req of r) {
          await req.ret.send(req.n * 10);
          req.ret.close();
        }
      })();
      const tx = front.client.newSendChannel<{ n: number; ret: Sender<number> }>();
      const acks: number[] = [];
      for (let n = 1; n <= 4; n++) {
        const [ack, ret] = bufferedPipe<number>(1);
        await tx.send({ n, ret });
        const v = await ack.receive();
        acks.push(v as number);
        expect(await ack.receive()).toBe(EOF);
      }
      tx.close();
      expect(await proxied).toBe(4);
      await backend;
      expect(acks).toEqual([10, 20, 30, 40]);
    });

    it('10 a byte stream through a proxy', { timeout: T }, async () => {
      const front = await make();
      const back = await make();
      const fwd = back.client.newSendChannel<unknown>();
      const proxied = front.server.waitReceiveChannel<unknown>().then((r) => copy(fwd, r));
      const tx = front.client.newSendChannel<unknown>();
      const body = 'x'.repeat(100_000);
      tx.send({ body: Readable.from([Buffer.from(body)]) });
      tx.close();
      const r = await back.server.waitReceiveChannel<{ body: Readable }>();
      const m = (await r.receive()) as { body: Readable };
      expect(await text(m.body)).toBe(body);
      expect(await proxied).toBe(1);
    });

    it('11 a file read to EOF', { timeout: T }, async () => {
      const h = await make();
      const dir = mkdtempSync(join(tmpdir(), 'libchan-file-'));
      tmp.push(dir);
      const file = join(dir, 'f.txt');
      const content = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('');
      writeFileSync(file, content);
      h.client.newSendChannel().send({ file: createReadStream(file) });
      const rx = await h.server.waitReceiveChannel<{ file: Readable }>();
      const m = (await rx.receive()) as { file: Readable };
      expect(await text(m.file)).toBe(content);
    });

    it('12 late rendezvous', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<number>();
      tx.send(1);
      tx.send(2);
      tx.send(3);
      tx.close();
      await settle(50);
      const rx = await h.server.waitReceiveChannel<number>();
      const got: number[] = [];
      for await (const v of rx) got.push(v);
      expect(got).toEqual([1, 2, 3]);
    });

    it('13 10,000 messages each with a Sender and a Readable, tables back to empty', {
      timeout: 60_000,
    }, async () => {
      const h = await make();
      const N = 10_000;
      const replies = new Collector();
      const server = (async () => {
        const rx = await h.server.waitReceiveChannel<{ i: number; ret: Sender<number>; data: Readable }>();
        let n = 0;
        for await (const m of rx) {
          const got = await text(m.data);
          await m.ret.send(m.i + got.length);
          m.ret.close();
          n++;
        }
        return n;
      })();
      const tx = h.client.newSendChannel<unknown>();
      for (let i = 0; i < N; i++) {
        const p = tx.send({ i, ret: replies, data: Readable.from([Buffer.from('abc')]) });
        if (p) await p;
      }
      tx.close();
      expect(await server).toBe(N);
      await until(() => replies.values.length === N);
      expect(replies.values.reduce((a: number, b) => a + (b as number), 0)).toBe((N * (N - 1)) / 2 + 3 * N);
      await until(() => {
        const c = h.client.stats();
        const s = h.server.stats();
        return c.channels + c.streams + c.unclaimed + s.channels + s.streams + s.unclaimed === 0;
      });
    });

    it('14 an unread channel does not block others', { timeout: T }, async () => {
      const h = await make({ channelWindow: 64 });
      const stuck = h.client.newSendChannel<number>();
      for (let i = 0; i < 64; i++) expect(stuck.send(i)).toBeUndefined();
      const blocked = stuck.send(64);
      expect(blocked).toBeInstanceOf(Promise);
      blocked?.catch(() => {});
      const other = h.client.newSendChannel<string>();
      other.send('through');
      const first = await h.server.waitReceiveChannel<number>();
      const second = await h.server.waitReceiveChannel<string>();
      expect(await second.receive()).toBe('through');
      expect(await first.receive()).toBe(0);
    });

    it('15 a message over 16 MiB', { timeout: 30_000 }, async () => {
      const h = await make();
      const big = Buffer.alloc(17 * 1024 * 1024 + 5);
      for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
      h.client.newSendChannel().send({ big });
      const rx = await h.server.waitReceiveChannel<{ big: Uint8Array }>();
      const m = (await rx.receive()) as { big: Uint8Array };
      expect(m.big.length).toBe(big.length);
      expect(Buffer.from(m.big).equals(big)).toBe(true);
    });

    describe('16 disconnect gives ConnectionLost', () => {
      it('during a receive / decode', { timeout: T }, async () => {
        const h = await make();
        const tx = h.client.newSendChannel<unknown>();
        tx.send('first');
        const rx = await h.server.waitReceiveChannel<unknown>();
        expect(await rx.receive()).toBe('first');
        const pending = rx.receive();
        if (h.remote) {
          // A message big enough to need many frames and credit round trips: cut it midway.
          tx.send(Buffer.alloc(48 * 1024 * 1024));
          await settle(5);
        }
        h.kill();
        const err = await pending.then(
          () => new Error('resolved'),
          (e: unknown) => e,
        );
        expectCode(err, ErrorCode.ConnectionLost);
      });

      it('during an accept', { timeout: T }, async () => {
        const h = await make();
        const pending = h.server.waitReceiveChannel();
        await settle(5);
        h.kill();
        expectCode(await pending.catch((e: unknown) => e), ErrorCode.ConnectionLost);
      });

      it('during a proxy copy (downstream sees ConnectionLost, not EOF)', { timeout: T }, async () => {
        const h = await make();
        const [down, downS] = bufferedPipe<unknown>(8);
        const tx = h.client.newSendChannel<unknown>();
        tx.send(1);
        const rx = await h.server.waitReceiveChannel<unknown>();
        const proxy = copy(downS, rx);
        expect(await down.receive()).toBe(1);
        h.kill();
        expectCode(await proxy.catch((e: unknown) => e), ErrorCode.ConnectionLost);
        expectCode(await down.receive().catch((e: unknown) => e), ErrorCode.ConnectionLost);
      });
    });

    it('17 double close is a no-op', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<number>();
      tx.send(1);
      tx.close();
      tx.close();
      const rx = await h.server.waitReceiveChannel<number>();
      expect(await rx.receive()).toBe(1);
      expect(await rx.receive()).toBe(EOF);
      rx.close();
      rx.close();
      const [r, s] = bufferedPipe(1);
      s.close();
      s.close();
      r.close();
      r.close();
      expect(tx.closed && rx.closed).toBe(true);
    });

    it('18 receiver cancel stops the sender', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<number>();
      tx.send(1);
      const rx = await h.server.waitReceiveChannel<number>();
      expect(await rx.receive()).toBe(1);
      rx.close();
      let err: unknown;
      await until(() => {
        try {
          tx.send(2);
          return false;
        } catch (e) {
          err = e;
          return true;
        }
      });
      expectCode(err, ErrorCode.Closed);
      expect(tx.closed).toBe(true);
    });

    it('18b cancelling a nested Receiver stops its local sender without a send', { timeout: T }, async () => {
      const h = await make();
      const [r, s] = bufferedPipe<number>(4);
      h.client.newSendChannel<unknown>().send({ r });
      const rx = await h.server.waitReceiveChannel<{ r: Receiver<number> }>();
      const m = (await rx.receive()) as { r: Receiver<number> };
      await s.send(1);
      expect(await m.r.receive()).toBe(1);
      m.r.close();
      await until(() => s.closed);
      expectCode(
        (() => {
          try {
            s.send(2);
          } catch (e) {
            return e;
          }
        })(),
        ErrorCode.Closed,
      );
    });

    it('19 stream tables are empty after every channel closes', { timeout: T }, async () => {
      const h = await make();
      const tx = h.client.newSendChannel<unknown>();
      const [rr, rs] = bufferedPipe<number>(2);
      const [sr, ss] = bufferedPipe<number>(2);
      const p = new PassThrough();
      tx.send({ rs, sr, p });
      const rx = await h.server.waitReceiveChannel<{
        rs: Sender<number>;
        sr: Receiver<number>;
        p: Readable;
      }>();
      const m = (await rx.receive()) as { rs: Sender<number>; sr: Receiver<number>; p: Readable };
      expect(h.client.stats().channels + h.server.stats().channels).toBeGreaterThan(0);
      await m.rs.send(1);
      m.rs.close();
      expect(await rr.receive()).toBe(1);
      ss.close();
      expect(await m.sr.receive()).toBe(EOF);
      p.end('x');
      expect(await text(m.p)).toBe('x');
      tx.close();
      expect(await rx.receive()).toBe(EOF);
      await until(() => {
        const c = h.client.stats();
        const s = h.server.stats();
        return c.channels + c.streams + c.unclaimed + s.channels + s.streams + s.unclaimed === 0;
      });
    });

    it('20 exhausted credit makes send wait', { timeout: T }, async () => {
      const h = await make({ channelWindow: 64 });
      const tx = h.client.newSendChannel<number>();
      for (let i = 0; i < 64; i++) expect(tx.send(i)).toBeUndefined();
      let done = false;
      const waiting = tx.send(64);
      expect(waiting).toBeInstanceOf(Promise);
      void waiting?.then(() => {
        done = true;
      });
      await settle(50);
      expect(done).toBe(false);
      const rx = await h.server.waitReceiveChannel<number>();
      for (let i = 0; i < 64; i++) expect(await rx.receive()).toBe(i);
      await waiting;
      expect(await rx.receive()).toBe(64);
    });

    it('22 object-literal Sender and Receiver, beside a movable end, cross like class-based ones', {
      timeout: T,
    }, async () => {
      const h = await make();
      const [pipeGot, moved] = bufferedPipe<string>(1);
      const got: string[] = [];
      const plainSender: Sender<string> = {
        [kSender]: true,
        send(v) {
          got.push(v);
          return undefined;
        },
        close() {},
        closed: false,
      };
      const [source, feed] = bufferedPipe<string>(1);
      const plainReceiver: Receiver<string> = {
        [kReceiver]: true,
        receive: () => source.receive(),
        close: () => source.close(),
        get closed() {
          return source.closed;
        },
        [Symbol.asyncIterator]: () => source[Symbol.asyncIterator](),
      };
      const tx = h.client.newSendChannel<unknown>();
      // The pipe end is met (and, remotely, moved) before the literals make the first encoding fail.
      tx.send({ first: moved, later: [{ ret: plainSender, rx: plainReceiver }] });
      const rx = await h.server.waitReceiveChannel<unknown>();
      const m = (await rx.receive()) as {
        first: Sender<string>;
        later: [{ ret: Sender<string>; rx: Receiver<string> }];
      };
      const { ret, rx: inbox } = m.later[0];
      expect(isSender(m.first) && isSender(ret) && isReceiver(inbox)).toBe(true);
      await m.first.send('via pipe');
      expect(await pipeGot.receive()).toBe('via pipe');
      await ret.send('via literal');
      await until(() => got.length === 1);
      expect(got).toEqual(['via literal']);
      await feed.send('into literal');
      expect(await inbox.receive()).toBe('into literal');
    });

    it('21 an end used after it was sent away is MOVED (remote only)', { timeout: T }, async () => {
      const h = await make();
      if (!h.remote) return;
      const [, s] = bufferedPipe<number>(1);
      const tx = h.client.newSendChannel<unknown>();
      tx.send({ s });
      expectCode(
        (() => {
          try {
            s.send(1);
          } catch (e) {
            return e;
          }
        })(),
        ErrorCode.Moved,
      );
      expectCode(
        (() => {
          try {
            tx.send({ again: s });
          } catch (e) {
            return e;
          }
        })(),
        ErrorCode.Moved,
      );
    });
  });
}
