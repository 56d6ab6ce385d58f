import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../src/backends/docker/engine-client.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { connectionsTo, type Daemon, startDaemons, stopDaemons, until } from '../harness/index.js';

describe('EngineClient against a private dockerd', () => {
  let d: Daemon;
  let unix: EngineClient;
  beforeAll(async () => {
    [d] = (await startDaemons(1, { tcp: true })) as [Daemon];
    unix = new EngineClient({ address: d.host, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await unix?.close();
    if (d) await stopDaemons([d]);
  });

  it('negotiates 1.41 once and answers JSON calls', async () => {
    expect(await unix.version()).toBe('1.41');
    const v = await unix.call({ method: 'GET', path: '/version' });
    expect(v.status).toBe(200);
    expect((v.body as { ApiVersion: string }).ApiVersion).toBe('1.41');
    const ping = await unix.call({ method: 'GET', path: '/_ping', versioned: false });
    expect(Buffer.from(ping.body as Buffer).toString()).toBe('OK');
  });

  it("keeps dockerd's status and message for a missing container", async () => {
    const r = await unix.call({ method: 'GET', path: '/containers/nosuch-xyz/json' });
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'No such container: nosuch-xyz' });
  });

  it('hijacks attach: stdin round trip through busybox cat with half-close', async () => {
    const c = await unix.call({
      method: 'POST',
      path: '/containers/create',
      body: {
        Image: 'busybox:local',
        Cmd: ['cat'],
        OpenStdin: true,
        StdinOnce: true,
        AttachStdin: true,
        HostConfig: { NetworkMode: 'none' },
      },
    });
    expect(c.status).toBe(201);
    const id = (c.body as { Id: string }).Id;
    const h = await unix.hijack({
      method: 'POST',
      path: `/containers/${id}/attach`,
      query: { stream: '1', stdin: '1', stdout: '1', stderr: '1' },
    });
    expect(h.upgraded).toBe(true);
    if (!h.upgraded) return;
    const out: Buffer[] = [];
    h.socket.on('data', (b: Buffer) => out.push(b));
    const ended = new Promise((r) => h.socket.once('end', r));
    expect((await unix.call({ method: 'POST', path: `/containers/${id}/start` })).status).toBe(204);
    h.socket.end('round trip\n');
    await ended;
    const all = Buffer.concat(out);
    // one stdout frame: [1,0,0,0, len32] + payload
    expect(all[0]).toBe(1);
    expect(all.subarray(8).toString()).toBe('round trip\n');
    await unix.call({ method: 'DELETE', path: `/containers/${id}`, query: { force: '1' } });
  });

  it('a STOPped daemon gives DeadlineExceeded, and works again after CONT', async () => {
    const quick = new EngineClient({ address: d.host, timeoutMs: 400 });
    try {
      await quick.version();
      d.kill('SIGSTOP');
      const t0 = performance.now();
      const err = await quick.call({ method: 'GET', path: '/info' }).catch((e: unknown) => e);
      expect(isSwarmError(err, ErrorCode.DeadlineExceeded)).toBe(true);
      expect(performance.now() - t0).toBeLessThan(2_000);
      d.kill('SIGCONT');
      expect((await quick.call({ method: 'GET', path: '/info', timeoutMs: 10_000 })).status).toBe(200);
    } finally {
      d.kill('SIGCONT');
      await quick.close();
    }
  });

  it('a missing socket is ConnectionLost naming the address', async () => {
    const gone = new EngineClient({ address: 'unix:///tmp/sw-nothing-here.sock' });
    const err = await gone.version().catch((e: unknown) => e);
    expect(isSwarmError(err, ErrorCode.ConnectionLost)).toBe(true);
    expect((err as Error).message).toContain('unix:///tmp/sw-nothing-here.sock');
    await gone.close();
  });

  it('keeps at most `connections` sockets over 30 concurrent calls, none after close', async () => {
    const port = Number(new URL(d.tcp!).port);
    const tcp = new EngineClient({ address: d.tcp!, connections: 4 });
    await Promise.all(
      Array.from({ length: 30 }, () => tcp.call({ method: 'GET', path: '/containers/json' })),
    );
    const used = connectionsTo(port);
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(4);
    await tcp.close();
    await new Promise((r) => setTimeout(r, 100));
    expect(connectionsTo(port)).toBe(0);
  });

  it('hijacks and streams share the `streams` limit, refuse past it, never starve pooled calls; sockets ≤ connections + streams', async () => {
    const port = Number(new URL(d.tcp!).port);
    const tcp = new EngineClient({ address: d.tcp!, connections: 2, streams: 3 });
    expect(tcp.limits).toEqual({ connections: 2, streams: 3 });
    try {
      const create = async () => {
        const c = await tcp.call({
          method: 'POST',
          path: '/containers/create',
          body: { Image: 'busybox:local', Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } },
        });
        const id = (c.body as { Id: string }).Id;
        expect((await tcp.call({ method: 'POST', path: `/containers/${id}/start` })).status).toBe(204);
        return id;
      };
      const [a, b] = [await create(), await create()];
      const attach = (id: string) =>
        tcp.hijack({ method: 'POST', path: `/containers/${id}/attach`, query: { stream: '1', stdout: '1' } });
      // Two hijacks and one followed event stream: every stream slot is taken.
      const h1 = await attach(a);
      const h2 = await attach(b);
      const events = await tcp.stream({ method: 'GET', path: '/events' });
      expect(h1.upgraded && h2.upgraded).toBe(true);
      expect(tcp.streamsOpen).toBe(3);
      // A fourth is refused at once, whether hijack or stream, with the typed error.
      const refusedHijack = await attach(a).catch((e: unknown) => e);
      expect(isSwarmError(refusedHijack, ErrorCode.LimitReached)).toBe(true);
      expect((refusedHijack as Error).message).toMatch(/3 streams .* already open/);
      const refusedStream = await tcp.stream({ method: 'GET', path: '/events' }).catch((e: unknown) => e);
      expect(isSwarmError(refusedStream, ErrorCode.LimitReached)).toBe(true);
      // Plain calls still go through the pool while every stream slot is held.
      const calls = await Promise.all(
        Array.from({ length: 10 }, () =>
          tcp.call({ method: 'GET', path: '/containers/json', timeoutMs: 5_000 }),
        ),
      );
      expect(calls.every((r) => r.status === 200)).toBe(true);
      const busy = connectionsTo(port);
      console.log(
        `[budgets] sockets to the daemon with 3 streams open after 10 pooled calls: ${busy} (2 + 3 allowed)`,
      );
      expect(busy).toBeGreaterThanOrEqual(4); // 3 streams + at least one pooled socket
      expect(busy).toBeLessThanOrEqual(5);
      // Closing a hijacked socket and the event stream frees their slots (and their sockets).
      if (h1.upgraded) h1.socket.destroy();
      events.body.destroy();
      await until(() => tcp.streamsOpen <= 1, 2_000, 'two stream slots freed', 20);
      expect(tcp.streamsOpen).toBe(1);
      const h3 = await attach(a);
      expect(h3.upgraded).toBe(true);
      expect(tcp.streamsOpen).toBe(2);
      // A hijack the daemon answers without upgrading (404) gives its slot back at once.
      const missing = await attach('nosuch-container-x');
      expect(missing).toMatchObject({ upgraded: false, status: 404 });
      expect(tcp.streamsOpen).toBe(2);
      for (const id of [a, b])
        await tcp.call({ method: 'DELETE', path: `/containers/${id}`, query: { force: '1' } });
    } finally {
      await tcp.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(connectionsTo(port)).toBe(0);
  });
});
