/**
 * Shared listener bookkeeping for the socket transports: track live sessions, close cleanly.
 * @module
 */
import type { Server } from 'node:net';
import type { Session } from '../session.js';

/** A listening endpoint. `close()` stops accepting, closes every live session and frees all handles. */
export interface Listener {
  /** Where the listener is bound: a socket path, `host:port`, or a `ws://`/`wss://` URL. */
  readonly address: string;
  /** Live sessions accepted by this listener. */
  readonly sessions: ReadonlySet<Session>;
  close(): Promise<void>;
}

/** Options every listener takes, beside its address and the session options. */
export interface ListenerLimits {
  /**
   * Connections open at once; one beyond is closed at accept, before any byte is read or any
   * session is made (node's `server.maxConnections`). Default: no limit.
   */
  maxConnections?: number;
  /** Called for each connection refused by `maxConnections`, with the count so far (to log once). */
  onRefused?: (count: number) => void;
}

/** Applies {@link ListenerLimits} to a server (net, tls, http: the check is in `net.Server`). */
export function limitConnections(server: Server, limits: ListenerLimits): void {
  if (limits.maxConnections === undefined) return;
  server.maxConnections = limits.maxConnections;
  let refused = 0;
  server.on('drop', () => limits.onRefused?.(++refused));
}

/** Registers `s` in `set` until it ends, then hands it to the user callback. */
export function track(set: Set<Session>, s: Session, onSession: (s: Session) => void): void {
  set.add(s);
  void s.done.then(() => set.delete(s));
  onSession(s);
}

/** Closes sessions gracefully, then the server. */
export async function closeAll(server: Server, sessions: Set<Session>): Promise<void> {
  const closing = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([...sessions].map((s) => s.close()));
  await closing;
}

/** Waits for `server.listen(...)` to succeed or fail. */
export function listening(server: Server, listen: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    listen();
  });
}
