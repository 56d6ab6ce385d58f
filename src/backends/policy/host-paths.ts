/**
 * Host paths in bind mounts: cleaned as the kernel will walk them (`..`), checked against the paths
 * no container may see (the root, the Docker and containerd sockets, /proc, /etc…) and against the
 * operator's allow-list; when the path exists on this host its symlinks are resolved too and the real
 * path must pass the same checks (a symlink in an allowed folder must not lead out of it).
 * @module
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, posix } from 'node:path';

/**
 * Paths that hand over the host: mounting one of them, anything inside one, or any folder that
 * contains one (`/var/run` holds the Docker socket) is refused even when an allow-list covers it.
 */
export const SENSITIVE_HOST_PATHS: readonly string[] = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/docker',
  '/var/run/docker',
  '/run/containerd',
  '/var/run/containerd',
  '/var/lib/docker',
  '/var/lib/containerd',
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/usr',
  '/lib',
  '/bin',
  '/sbin',
];

/** A host path as the kernel resolves it lexically: absolute, `.`/`..`/`//` removed, no trailing `/`. */
export function cleanHostPath(p: string): string {
  const n = posix.normalize(p.startsWith('/') ? p : `/${p}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function within(p: string, dir: string): boolean {
  return dir === '/' || p === dir || p.startsWith(`${dir}/`);
}

/** The real path of `p` on this host: the longest existing prefix resolved, the rest appended. */
export function resolveOnThisHost(p: string): string | undefined {
  let head = p;
  let tail = '';
  while (!existsSync(head)) {
    if (head === '/') return undefined;
    tail = posix.join(posix.basename(head), tail);
    head = dirname(head);
  }
  try {
    return cleanHostPath(posix.join(realpathSync(head), tail));
  } catch {
    return undefined;
  }
}

function lexicalProblem(p: string, allow: readonly string[]): string | undefined {
  if (p === '/') return 'the host root /';
  const hit = SENSITIVE_HOST_PATHS.find((s) => within(p, s) || within(s, p));
  if (hit) return hit === p ? hit : `${p} (${within(p, hit) ? 'inside' : 'contains'} ${hit})`;
  if (!allow.some((a) => within(p, a)))
    return `${p}, outside the allowed host paths (${allow.length ? allow.join(', ') : 'none'})`;
  return undefined;
}

/** Why binding host path `source` is refused, or undefined when it may be mounted. */
export function hostPathProblem(source: string, allow: readonly string[]): string | undefined {
  if (!source.startsWith('/')) return `${JSON.stringify(source)}, not an absolute host path`;
  const p = cleanHostPath(source);
  const lexical = lexicalProblem(p, allow);
  if (lexical) return lexical;
  const real = resolveOnThisHost(p);
  if (real && real !== p) {
    const viaLink = lexicalProblem(real, allow);
    if (viaLink) return `${p}, a symlink to ${viaLink}`;
  }
  return undefined;
}
