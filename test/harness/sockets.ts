/**
 * Socket accounting for leak checks.
 * @module
 */
import { execFileSync } from 'node:child_process';

/**
 * Connections to a daemon's unix socket whose client end is still open (`ss -x`: the accepted socket's
 * peer inode is not 0). Counting every accepted socket (/proc/net/unix state 03) over-counts: dockerd
 * keeps its end of a finished hijacked connection (attach, exec) open after the client closed it, and
 * does so for the docker CLI talking to it directly as well.
 */
export function connectionsOn(socket: string): number {
  return execFileSync('ss', ['-xH'])
    .toString()
    .split('\n')
    .filter((l) => {
      const f = l.trim().split(/\s+/);
      const i = f.indexOf(socket);
      return i >= 0 && f[i + 3] !== undefined && f[i + 3] !== '0';
    }).length;
}

/** Established TCP connections to `port` on this host (`ss -tn`): for a private daemon's TCP listener. */
export function connectionsTo(port: number): number {
  const out = execFileSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`]).toString();
  return out.split('\n').filter((l) => l.trim() !== '').length;
}
