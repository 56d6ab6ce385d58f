/**
 * TLS over TCP (node:tls), with optional mutual authentication: give the server `ca` and
 * `requestCert: true` and the client `cert`/`key`.
 * @module
 */
import { type AddressInfo, isIP } from 'node:net';
import { createServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { Session, type SessionOptions } from '../session.js';
import { socketWire } from '../wire.js';
import {
  closeAll,
  type Listener,
  type ListenerLimits,
  limitConnections,
  listening,
  track,
} from './listener.js';

/** PEM material and checks. */
export interface TlsMaterial {
  key?: string | Buffer;
  cert?: string | Buffer;
  /** Trusted CA(s) for the peer's certificate. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Server: ask for a client certificate (mutual auth). */
  requestCert?: boolean;
  /** Reject peers whose certificate does not verify. Default true. */
  rejectUnauthorized?: boolean;
  /** Client: the name to send as SNI and verify in the server certificate. Default: the host dialled. */
  servername?: string;
}

/** Options of the TLS transport. */
export interface TlsOptions extends Omit<SessionOptions, 'role'> {
  host?: string;
  port: number;
  tls: TlsMaterial;
}

function session(sock: TLSSocket, opts: TlsOptions, role: 'client' | 'server'): Session {
  sock.setNoDelay(true);
  const cert = sock.getPeerCertificate();
  const cn = cert && typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined;
  const info = {
    transport: 'tls',
    remote: `${sock.remoteAddress}:${sock.remotePort}`,
    authorized: sock.authorized,
    ...(cn ? { peerCommonName: cn } : {}),
  };
  return new Session(socketWire(sock, info), { ...opts, role });
}

/** Connects over TLS and returns a client session once the handshake verified. */
export function connect(opts: TlsOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const host = opts.host ?? '127.0.0.1';
    // The certificate is checked against the host we dial (node:tls checks `servername || host`, an IP
    // against the certificate's IP SANs). SNI carries host names only: RFC 6066 forbids addresses there.
    const servername = opts.tls.servername ?? (isIP(host) ? undefined : host);
    const sock = tlsConnect({
      host,
      port: opts.port,
      ...(servername ? { servername } : {}),
      ...material(opts.tls),
    });
    sock.once('error', reject);
    sock.once('secureConnect', () => {
      sock.off('error', reject);
      resolve(session(sock, opts, 'client'));
    });
  });
}

/** Listens for TLS connections. */
export async function listen(
  opts: TlsOptions & ListenerLimits,
  onSession: (s: Session) => void,
): Promise<Listener> {
  const sessions = new Set<Session>();
  const server = createServer({ ...material(opts.tls), requestCert: opts.tls.requestCert ?? false }, (sock) =>
    track(sessions, session(sock, opts, 'server'), onSession),
  );
  limitConnections(server, opts);
  // A failed handshake is the client's problem; it must not crash the listener.
  server.on('tlsClientError', () => {});
  await listening(server, () => server.listen(opts.port, opts.host ?? '127.0.0.1'));
  const a = server.address() as AddressInfo;
  return { address: `${a.address}:${a.port}`, sessions, close: () => closeAll(server, sessions) };
}

function material(t: TlsMaterial) {
  return {
    ...(t.key ? { key: t.key } : {}),
    ...(t.cert ? { cert: t.cert } : {}),
    ...(t.ca ? { ca: t.ca } : {}),
    rejectUnauthorized: t.rejectUnauthorized ?? true,
  };
}
