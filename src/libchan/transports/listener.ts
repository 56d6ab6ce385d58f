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
