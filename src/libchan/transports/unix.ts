/**
 * Unix-domain socket transport.
 * @module
 */
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
import { clearStaleSocket } from './unix-path.js';

/** Options of the unix transport: the socket path plus session settings (role is implied). */
export interface UnixOptions extends Omit<SessionOptions, 'role'> {
  path: string;
}

function session(sock: Socket, opts: UnixOptions, role: 'client' | 'server'): Session {
  return new Session(socketWire(sock, { transport: 'unix', remote: opts.path }), { ...opts, role });
}

/** Connects to a unix socket and returns a client session. */
export function connect(opts: UnixOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(opts.path);
    sock.once('error', reject);
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(session(sock, opts, 'client'));
    });
  });
}

/**
 * Listens on a unix socket. A stale socket file left by a dead process is replaced; a live socket or
 * another file is an error (never deleted).
 */
export async function listen(
  opts: UnixOptions & ListenerLimits,
  onSession: (s: Session) => void,
): Promise<Listener> {
  await clearStaleSocket(opts.path);
  const sessions = new Set<Session>();
  const server = createServer((sock) => track(sessions, session(sock, opts, 'server'), onSession));
  limitConnections(server, opts);
  await listening(server, () => server.listen(opts.path));
  return { address: opts.path, sessions, close: () => closeAll(server, sessions) };
}
