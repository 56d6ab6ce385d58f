/**
 * Claiming a unix socket path for a new listener, shared by every unix listener of the project (the
 * libchan transport and the Docker API front end): nothing there is fine; a socket nobody answers on
 * is stale (left by a dead process) and removed; a live socket or a non-socket file is an error and
 * is never deleted — deleting a live socket would silently steal another server's address.
 * @module
 */
import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { ErrorCode, SwarmError } from '../../errors.js';

/** True when something accepts connections on `path` now. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    // `on`, not `once`: a late reset after destroy() must not become an uncaught error.
    probe.on('error', () => resolve(false));
  });
}

/**
 * Makes `path` free for a new listener, or throws `SWARM_ERR_INVALID_ARGUMENT` naming the path and the
 * fix. `who` prefixes the message (the stage name).
 */
export async function clearStaleSocket(path: string, who = 'listen'): Promise<void> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const invalid = (why: string) => new SwarmError(ErrorCode.InvalidArgument, `${who}: ${why}`);
  if (!st.isSocket()) throw invalid(`${path} exists and is not a socket; remove it or choose another path`);
  if (await socketAnswers(path)) {
    throw invalid(`another server is already listening on unix://${path}; stop it or choose another path`);
  }
  await unlink(path);
}
