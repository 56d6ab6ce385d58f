/**
 * Unix-domain socket transport.
 * @module
 */
import { lstatSync, unlinkSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { Session, type SessionOptions } from '../session.js';
import { socketWire } from '../wire.js';
import { closeAll, type Listener, listening, track } from './listener.js';

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

/** Listens on a unix socket (a stale socket file left by a dead process is replaced). */
export async function listen(opts: UnixOptions, onSession: (s: Session) => void): Promise<Listener> {
  try {
    if (lstatSync(opts.path).isSocket()) unlinkSync(opts.path);
  } catch {
    // no file: nothing to clean
  }
  const sessions = new Set<Session>();
  const server = createServer((sock) => track(sessions, session(sock, opts, 'server'), onSession));
  await listening(server, () => server.listen(opts.path));
  return { address: opts.path, sessions, close: () => closeAll(server, sessions) };
}
