/** Transport-specific behaviour: TLS mutual auth is enforced, listeners close without leaking. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Session, tcp, tls, unix, ws } from '../../src/libchan/index.js';
import type { Listener } from '../../src/libchan/transports/listener.js';
import { CLIENT_CN, sharedTlsPems } from '../harness/tls.js';

const listeners: Listener[] = [];
const sessions: Session[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.destroy();
  await Promise.all(listeners.splice(0).map((l) => l.close()));
});
beforeAll(() => {
  sharedTlsPems();
}, 120_000);

const port = (l: Listener) => Number(l.address.split(':').pop()?.replace(/\/.*$/, ''));

describe('tls mutual auth', () => {
  const serverTls = () => {
    const c = sharedTlsPems();
    return { key: c.serverKey, cert: c.serverCert, ca: c.ca, requestCert: true };
  };

  it('accepts a client certificate from the trusted CA and reports it', { timeout: 20_000 }, async () => {
    const c = sharedTlsPems();
    let got: Session | undefined;
    const l = await tls.listen({ port: 0, tls: serverTls() }, (s) => {
      got = s;
    });
    listeners.push(l);
    const s = await tls.connect({ port: port(l), tls: { key: c.clientKey, cert: c.clientCert, ca: c.ca } });
    sessions.push(s);
    expect(s.info.authorized).toBe(true);
    await s.ping();
    expect(got?.info.authorized).toBe(true);
    expect(got?.info.peerCommonName).toBe(CLIENT_CN);
  });

  it('rejects a client without a certificate or with a foreign one', { timeout: 20_000 }, async () => {
    const c = sharedTlsPems();
    const l = await tls.listen({ port: 0, tls: serverTls() }, () => {});
    listeners.push(l);
    const attempt = async (t: { key?: string; cert?: string }) => {
      try {
        const s = await tls.connect({ port: port(l), tls: { ...t, ca: c.ca } });
        sessions.push(s);
        // TLS 1.3 reports the server's rejection after the handshake: the first round trip fails.
        await s.ping();
        return 'accepted';
      } catch {
        return 'rejected';
      }
    };
    expect(await attempt({})).toBe('rejected');
    expect(await attempt({ key: c.rogueKey, cert: c.rogueCert })).toBe('rejected');
  });

  it('wss rejects a client without a certificate', { timeout: 20_000 }, async () => {
    const c = sharedTlsPems();
    const l = await ws.listen({ port: 0, tls: serverTls() }, () => {});
    listeners.push(l);
    await expect(ws.connect({ url: l.address, tls: { ca: c.ca } })).rejects.toThrow();
  });
});

describe('listeners', () => {
  it('close with live sessions ends them and frees the address', { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'libchan-l-'));
    try {
      const path = join(dir, 's.sock');
      const l = await unix.listen({ path }, () => {});
      const s = await unix.connect({ path });
      await s.ping();
      expect(l.sessions.size).toBe(1);
      await l.close();
      expect(l.sessions.size).toBe(0);
      await s.done;
      expect(s.closed).toBe(true);
      // The path can be bound again at once.
      const l2 = await unix.listen({ path }, () => {});
      await l2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a TCP session sees a peer GOAWAY as a clean end', { timeout: 20_000 }, async () => {
    let server: Session | undefined;
    const l = await tcp.listen({ port: 0 }, (s) => {
      server = s;
    });
    listeners.push(l);
    const s = await tcp.connect({ port: port(l) });
    await s.ping();
    await server?.close();
    expect(await s.done).toBeUndefined();
    await expect(s.waitReceiveChannel()).rejects.toMatchObject({ code: 'SWARM_ERR_CLOSED' });
  });
});
