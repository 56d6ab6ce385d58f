/**
 * TCP transport (Nagle off: frames are already coalesced per tick).
 * @module
 */
import type { AddressInfo } from 'node:net';
import { createServer, connect as netConnect, type Socket } from 'node:net';
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

/** Options of the TCP transport. `port: 0` picks a free port (see `Listener.address`). */
export interface TcpOptions extends Omit<SessionOptions, 'role'> {
  host?: string;
  port: number;
}

function session(sock: Socket, opts: Omit<SessionOptions, 'role'>, role: 'client' | 'server'): Session {
  sock.setNoDelay(true);
  const remote = `${sock.remoteAddress}:${sock.remotePort}`;
  return new Session(socketWire(sock, { transport: 'tcp', remote }), { ...opts, role });
}

/** Connects over TCP and returns a client session. */
export function connect(opts: TcpOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const sock = netConnect({ host: opts.host ?? '127.0.0.1', port: opts.port });
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(session(sock, opts, 'client'));
    });
  });
}

/** Listens on TCP. */
export async function listen(
  opts: TcpOptions & ListenerLimits,
  onSession: (s: Session) => void,
): Promise<Listener> {
  const sessions = new Set<Session>();
  const server = createServer((sock) => track(sessions, session(sock, opts, 'server'), onSession));
  limitConnections(server, opts);
  await listening(server, () => server.listen(opts.port, opts.host ?? '127.0.0.1'));
  const a = server.address() as AddressInfo;
  return { address: `${a.address}:${a.port}`, sessions, close: () => closeAll(server, sessions) };
}
