/**
 * The simulated filesystem: an image's root tree, a container's writable layer on top of it, and the
 * volumes mounted into it. Only what the command model touches exists: `echo … > /path` writes a
 * file, `cat /path` reads one; there is no mkdir, rm or chmod, so a layer only ever adds or replaces
 * files. Volumes are {@link Tree}s too: two containers mounting one volume share the same map, which
 * is how data outlives a container (a named volume) and how `docker diff`, `export` and `commit` stay
 * out of it (dockerd keeps volume contents out of all three).
 * @module
 */

/** One entry of a tree. */
export type FsEntry =
  | { kind: 'dir' }
  | { kind: 'file'; data: Buffer; mode?: number }
  | { kind: 'link'; target: string };

/** Absolute paths without a trailing slash (`/bin/sh`) → entries. The root itself is implied. */
export type Tree = Map<string, FsEntry>;

const dir: FsEntry = { kind: 'dir' };
const link = (target: string): FsEntry => ({ kind: 'link', target });

/** The size `busybox:local` has always reported (its one file's size). */
export const BUSYBOX_SIZE = 1_982_298;

let busybox: Tree | undefined;

/**
 * The simulator's `busybox:local`: the same paths as the test bed's image (a static busybox and its
 * applet links), so `docker diff` and `docker export` name the same files as a real daemon. The
 * binary is a placeholder of the image's size (so sizes, save and load agree). One tree per process,
 * shared by every image made from it: image trees are never changed in place.
 */
export function busyboxTree(): Tree {
  if (busybox) return busybox;
  const t: Tree = new Map();
  t.set('/bin', dir);
  const data = Buffer.alloc(BUSYBOX_SIZE);
  data.write('#!simulated busybox\n');
  t.set('/bin/busybox', { kind: 'file', data, mode: 0o755 });
  for (const a of [
    'cat',
    'echo',
    'env',
    'false',
    'head',
    'hostname',
    'id',
    'ls',
    'printf',
    'sh',
    'sleep',
    'true',
  ]) {
    t.set(`/bin/${a}`, link('busybox'));
  }
  busybox = t;
  return t;
}

/**
 * What dockerd's init layer adds to every container's root (mount points for /etc/hosts and friends,
 * /dev, /proc, /sys, `.dockerenv`): present in `export`, absent from `diff`.
 */
export function initTree(): Tree {
  const empty = (): FsEntry => ({ kind: 'file', data: Buffer.alloc(0), mode: 0o755 });
  return new Map<string, FsEntry>([
    ['/.dockerenv', empty()],
    ['/dev', dir],
    ['/dev/console', empty()],
    ['/dev/pts', dir],
    ['/dev/shm', dir],
    ['/etc', dir],
    ['/etc/hostname', empty()],
    ['/etc/hosts', empty()],
    ['/etc/mtab', link('/proc/mounts')],
    ['/etc/resolv.conf', empty()],
    ['/proc', dir],
    ['/sys', dir],
  ]);
}

/** `/a/./b/../c/` → `/a/c`; relative paths are taken from `/` (the simulator has no working dirs). */
export function cleanPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

/** The parent directory of a clean path (`/` for a top-level entry). */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** A volume or bind mount as a container sees it. */
export interface FsMount {
  /** Clean absolute path inside the container. */
  destination: string;
  tree: Tree;
  rw: boolean;
}

/** The result of a read: the bytes, or busybox's error text. */
export type ReadResult = { ok: true; data: Buffer } | { ok: false; error: string };

/**
 * A container's view: mounts over its writable layer over its image (and the init layer). Reads and
 * writes go to the innermost mount holding the path, else to the layer.
 */
export class ContainerFs {
  constructor(
    readonly image: Tree,
    readonly layer: Tree,
    readonly mounts: readonly FsMount[],
  ) {}

  #mountOf(path: string): { mount: FsMount; rel: string } | undefined {
    let best: FsMount | undefined;
    for (const m of this.mounts) {
      if (path === m.destination || path.startsWith(`${m.destination}/`)) {
        if (!best || m.destination.length > best.destination.length) best = m;
      }
    }
    if (!best) return undefined;
    return { mount: best, rel: cleanPath(path.slice(best.destination.length)) };
  }

  /** The entry at `path`, or undefined. */
  entry(path: string): FsEntry | undefined {
    const p = cleanPath(path);
    if (p === '/') return dir;
    const m = this.#mountOf(p);
    if (m) return m.rel === '/' ? dir : m.mount.tree.get(m.rel);
    if (this.mounts.some((x) => x.destination.startsWith(`${p}/`))) return dir;
    return this.layer.get(p) ?? this.image.get(p) ?? INIT.get(p);
  }

  /** `cat path`: the file's bytes or busybox's `can't open` text. */
  read(path: string): ReadResult {
    const e = this.entry(path);
    if (e?.kind === 'file') return { ok: true, data: e.data };
    if (e?.kind === 'dir') return { ok: false, error: `read error: Is a directory` };
    return { ok: false, error: `can't open '${path}': No such file or directory` };
  }

  /** `> path` / `>> path`: undefined when written, else the shell's `can't create` text. */
  write(path: string, data: Buffer, append: boolean): string | undefined {
    const p = cleanPath(path);
    const parent = this.entry(parentOf(p));
    if (parent?.kind !== 'dir') return `can't create ${path}: nonexistent directory`;
    const m = this.#mountOf(p);
    if (m && !m.mount.rw) return `can't create ${path}: Read-only file system`;
    const current = this.entry(p);
    if (current?.kind === 'dir') return `can't create ${path}: Is a directory`;
    const before = append && current?.kind === 'file' ? current.data : Buffer.alloc(0);
    const entry: FsEntry = { kind: 'file', data: Buffer.concat([before, data]) };
    if (m) m.mount.tree.set(m.rel, entry);
    else this.layer.set(p, entry);
    return undefined;
  }
}

const INIT = initTree();

/** One `docker diff` row: 0 changed, 1 added, 2 deleted. */
export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

/**
 * `GET /containers/{id}/changes`: what the layer adds (`A`) or replaces (`C`), plus every directory of
 * the image it wrote into (`C`), and the mount points dockerd had to create (`A`); sorted by path,
 * `null` when nothing changed (dockerd's nil slice).
 */
export function changes(image: Tree, layer: Tree, mountPoints: readonly string[]): Change[] | null {
  const out = new Map<string, Change['Kind']>();
  for (const path of layer.keys()) {
    out.set(path, image.has(path) ? 0 : 1);
    for (let p = parentOf(path); p !== '/'; p = parentOf(p)) {
      if (!out.has(p)) out.set(p, image.has(p) || INIT.has(p) ? 0 : 1);
    }
  }
  for (const m of mountPoints) if (!image.has(m) && !INIT.has(m) && !out.has(m)) out.set(m, 1);
  if (out.size === 0) return null;
  return [...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([Path, Kind]) => ({ Path, Kind }));
}

/** The union of trees, later ones winning; directories implied by files are added. */
export function mergeTrees(...trees: Tree[]): Tree {
  const out: Tree = new Map();
  for (const t of trees) for (const [p, e] of t) out.set(p, e);
  for (const p of [...out.keys()]) {
    for (let d = parentOf(p); d !== '/'; d = parentOf(d)) if (!out.has(d)) out.set(d, dir);
  }
  return out;
}
