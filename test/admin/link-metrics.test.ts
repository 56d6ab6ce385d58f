/**
 * libchan traffic counters, real sessions over real unix sockets: a session counts the messages and
 * DATA bytes each way and the times sending waited for credit; a `listen ⇄ remote` link's traffic
 * shows in both swarmd's `/metrics` (checked by promtool) and moves with the requests sent over it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import { LinkTraffic } from '../../src/backends/link/traffic.js';
import { type Admin, RequestStats, startAdmin } from '../../src/cli/admin/index.js';
import { systemClock } from '../../src/clock.js';
import { type Session, unix } from '../../src/libchan/index.js';
import { EOF } from '../../src/libchan/types.js';
import { until } from '../harness/until.js';
import { recorder } from '../services/support.js';
import { scrapeChecked } from './promtool.js';

const log = pino({ level: 'silent' });

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'admin-traffic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a libchan session counts its traffic', () => {
  it('messages and bytes each way, and a stall when the channel runs out of credit', async () => {
    const path = join(dir, 'pair.sock');
    let server: Session | undefined;
    const listener = await unix.listen({ path }, (s) => {
      server = s;
    });
    const client = await unix.connect({ path });
    try {
      await until(() => server !== undefined, 5000, 'the accepted session');
      const peer = server as Session;
      const tx = client.newSendChannel<{ n: number; pad: string }>();
      const pad = 'x'.repeat(100);
      // 200 sends at once: the channel's first 64 go out on its initial credit; the rest wait for
      // the receiver to read (a stall), which it does only after all sends were made.
      const sent: Promise<void>[] = [];
      for (let n = 0; n < 200; n++) {
        const p = tx.send({ n, pad });
        if (p) sent.push(p);
      }
      expect(sent.length).toBeGreaterThan(0);
      expect(client.traffic.creditStalls).toBeGreaterThanOrEqual(1);
      const rx = await peer.waitReceiveChannel<{ n: number }>();
      for (let n = 0; n < 200; n++) {
        const m = await rx.receive();
        expect(m === EOF ? -1 : m.n).toBe(n);
      }
      await Promise.all(sent);
      expect(client.traffic.messagesOut).toBe(200);
      expect(peer.traffic.messagesIn).toBe(200);
      // Each message carries its 100-byte pad, so at least 20,000 bytes went each way they count.
      expect(client.traffic.bytesOut).toBeGreaterThan(200 * 100);
      await until(() => peer.traffic.bytesIn === client.traffic.bytesOut, 5000, 'every byte arrived');
      expect(peer.traffic.messagesOut).toBe(0);
    } finally {
      client.destroy();
      await listener.close();
    }
  });
});

describe("a link stage's traffic over several sessions", () => {
  it('keeps the counts of sessions that ended (a remote that reconnected) in its totals', async () => {
    const path = join(dir, 'again.sock');
    const accepted: Session[] = [];
    const listener = await unix.listen({ path }, (s) => {
      accepted.push(s);
    });
    const traffic = new LinkTraffic();
    try {
      for (const [round, count] of [
        [1, 5],
        [2, 3],
      ] as const) {
        const session = traffic.track(await unix.connect({ path }));
        const tx = session.newSendChannel<number>();
        for (let n = 0; n < count; n++) await tx.send(n);
        await until(() => accepted.length === round, 5000, 'the accepted session');
        const rx = await (accepted[round - 1] as Session).waitReceiveChannel<number>();
        for (let n = 0; n < count; n++) await rx.receive();
        if (round === 1) {
          session.destroy();
          await session.done;
        }
      }
      // 5 on the first session (ended), 3 on the second (live).
      expect(traffic.totals().messagesOut).toBe(8);
      expect(traffic.totals().bytesOut).toBeGreaterThan(0);
    } finally {
      await listener.close();
    }
  });
});

describe('a byte stream out of credit', () => {
  it('counts a stall when its writer has to wait for the reader', async () => {
    const path = join(dir, 'stream.sock');
    let server: Session | undefined;
    const listener = await unix.listen({ path }, (s) => {
      server = s;
    });
    const client = await unix.connect({ path });
    try {
      const body = new PassThrough();
      client.newSendChannel<{ body: PassThrough }>().send({ body });
      await until(() => server !== undefined, 5000, 'the accepted session');
      const rx = await (server as Session).waitReceiveChannel<{ body: Readable }>();
      const m = await rx.receive();
      const stalls = client.traffic.creditStalls;
      // 256 KiB into a stream whose reader has not read yet: past its 64 KiB of credit it waits.
      body.end(Buffer.alloc(256 * 1024, 1));
      await until(() => client.traffic.creditStalls > stalls, 5000, 'a byte-stream stall');
      let got = 0;
      for await (const chunk of (m as { body: Readable }).body) got += (chunk as Buffer).length;
      expect(got).toBe(256 * 1024);
      expect(client.traffic.bytesOut).toBeGreaterThanOrEqual(256 * 1024);
    } finally {
      client.destroy();
      await listener.close();
    }
  });
});

/** `/metrics` of an admin, checked by promtool, as `name{labels}` → value. */
const scrape = (admin: Admin, name: string) => scrapeChecked(admin.url, join(dir, `${name}.txt`));

describe('a listen ⇄ remote link in /metrics', () => {
  it('moves the byte and message counters of both stages with the requests sent over it', async () => {
    const sock = join(dir, 'link.sock');
    const back = new Chain({ log, clock: systemClock });
    const front = new Chain({ log, clock: systemClock });
    const admins: Admin[] = [];
    try {
      await back.start([`listen unix://${sock}`, 'simulator n1']);
      await front.start([`remote unix://${sock}`]);
      const backAdmin = await startAdmin({ chain: back, stats: new RequestStats(), clock: systemClock, log });
      const frontAdmin = await startAdmin({
        chain: front,
        stats: new RequestStats(),
        clock: systemClock,
        log,
      });
      admins.push(backAdmin, frontAdmin);
      const key = (metric: string, stage: string, direction: string) =>
        `${metric}{stage="${stage}",direction="${direction}"}`;
      const before = { back: await scrape(backAdmin, 'back0'), front: await scrape(frontAdmin, 'front0') };
      for (let i = 0; i < 10; i++) {
        const ret = recorder();
        void front.head?.send({ verb: 'ls', args: { op: 'container.list', query: {} }, ret } as Message);
        await until(() => ret.closed, 5000, 'the list reply over the link');
      }
      const after = { back: await scrape(backAdmin, 'back1'), front: await scrape(frontAdmin, 'front1') };
      const moved = (side: 'back' | 'front', metric: string, stage: string, direction: string) =>
        (after[side].get(key(metric, stage, direction)) ?? Number.NaN) -
        (before[side].get(key(metric, stage, direction)) ?? 0);
      // Ten requests went out over the remote's session and came in on the listen's; each came back
      // as (at least) one reply message.
      expect(moved('front', 'swarmd_libchan_messages_total', 'remote#1', 'out')).toBe(10);
      expect(moved('back', 'swarmd_libchan_messages_total', 'listen#1', 'in')).toBe(10);
      expect(moved('back', 'swarmd_libchan_messages_total', 'listen#1', 'out')).toBeGreaterThanOrEqual(10);
      expect(moved('front', 'swarmd_libchan_messages_total', 'remote#1', 'in')).toBeGreaterThanOrEqual(10);
      for (const [side, stage] of [
        ['front', 'remote#1'],
        ['back', 'listen#1'],
      ] as const)
        for (const direction of ['in', 'out'])
          expect(moved(side, 'swarmd_libchan_bytes_total', stage, direction)).toBeGreaterThan(0);
      // What one side sent is what the other received (the link is the only session of each).
      const total = (side: 'back' | 'front', stage: string, direction: string) =>
        after[side].get(key('swarmd_libchan_bytes_total', stage, direction));
      await until(
        async () =>
          (await scrape(backAdmin, 'back2')).get(key('swarmd_libchan_bytes_total', 'listen#1', 'in')) ===
          total('front', 'remote#1', 'out'),
        5000,
        'the listen received every byte the remote sent',
      );
      expect(after.front.has('swarmd_libchan_credit_stalls_total{stage="remote#1"}')).toBe(true);
      expect(after.back.get('swarmd_listen_sessions{stage="listen#1"}')).toBe(1);
      // Labels are the stage and a direction: never a socket path or peer address.
      for (const k of [...after.back.keys(), ...after.front.keys()])
        if (k.startsWith('swarmd_libchan_')) expect(k).not.toContain(sock);
    } finally {
      for (const a of admins) await a.close();
      await front.stop();
      await back.stop();
    }
  });
});
