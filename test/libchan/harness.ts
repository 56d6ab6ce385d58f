/** Transport factories for the conformance suite: one connected client/server pair each. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryPair, type Session, type Transport, tcp, tls, unix, ws } from '../../src/libchan/index.js';
import type { Listener } from '../../src/libchan/transports/listener.js';
import { sharedTlsPems } from '../harness/tls.js';

/** A connected pair. */
export interface Harness {
  client: Transport;
  server: Transport;
  /** True when values cross an encoding boundary (ownership moves, streams are proxied). */
  remote: boolean;
  /** Abrupt disconnect (no GOAWAY). */
  kill(): void;
  /** Closes both ends and the listener. */
  close(): Promise<void>;
}

/** Options every factory honours. */
export interface HarnessOptions {
  /** Receive window of channels (messages). */
  channelWindow?: number;
}

export type HarnessFactory = (opts?: HarnessOptions) => Promise<Harness>;

export const memory: HarnessFactory = async (opts = {}) => {
  const [client, server] = memoryPair({ capacity: opts.channelWindow ?? 64 });
  return {
    client,
    server,
    remote: false,
    kill: () => client.destroy(),
    close: async () => {
      await client.close();
      await server.close();
    },
  };
};

async function pair(
  start: (onSession: (s: Session) => void) => Promise<Listener>,
  dial: (l: Listener) => Promise<Session>,
  cleanup?: () => void,
): Promise<Harness> {
  let resolveServer!: (s: Session) => void;
  const serverP = new Promise<Session>((r) => {
    resolveServer = r;
  });
  const listener = await start((s) => resolveServer(s));
  const client = await dial(listener);
  const server = await serverP;
  return {
    client,
    server,
    remote: true,
    kill: () => client.destroy(),
    close: async () => {
      client.destroy();
      await listener.close();
      cleanup?.();
    },
  };
}

export const unixSocket: HarnessFactory = async (opts = {}) => {
  const dir = mkdtempSync(join(tmpdir(), 'libchan-unix-'));
  const path = join(dir, 's.sock');
  return pair(
    (on) => unix.listen({ path, ...opts }, on),
    () => unix.connect({ path, ...opts }),
    () => rmSync(dir, { recursive: true, force: true }),
  );
};

const portOf = (l: Listener) => Number(l.address.split(':').pop()?.replace(/\/.*$/, ''));

export const tcpSocket: HarnessFactory = async (opts = {}) =>
  pair(
    (on) => tcp.listen({ port: 0, ...opts }, on),
    (l) => tcp.connect({ port: portOf(l), ...opts }),
  );

export const tlsSocket: HarnessFactory = async (opts = {}) => {
  const c = sharedTlsPems();
  return pair(
    (on) =>
      tls.listen(
        { port: 0, ...opts, tls: { key: c.serverKey, cert: c.serverCert, ca: c.ca, requestCert: true } },
        on,
      ),
    (l) => tls.connect({ port: portOf(l), ...opts, tls: { key: c.clientKey, cert: c.clientCert, ca: c.ca } }),
  );
};

export const webSocket: HarnessFactory = async (opts = {}) =>
  pair(
    (on) => ws.listen({ port: 0, ...opts }, on),
    (l) => ws.connect({ url: l.address, ...opts }),
  );

export const webSocketTls: HarnessFactory = async (opts = {}) => {
  const c = sharedTlsPems();
  return pair(
    (on) =>
      ws.listen(
        { port: 0, ...opts, tls: { key: c.serverKey, cert: c.serverCert, ca: c.ca, requestCert: true } },
        on,
      ),
    (l) => ws.connect({ url: l.address, ...opts, tls: { key: c.clientKey, cert: c.clientCert, ca: c.ca } }),
  );
};
