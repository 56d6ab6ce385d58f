/**
 * Trees as tar layers: the bytes `docker save` and `docker export` stream, the layer digests
 * (RootFS.Layers, `diff_ids`) computed from them, and trees read back from a layer tar.
 * @module
 */
import { createHash } from 'node:crypto';
import { cleanPath, type FsEntry, type Tree } from './fs.js';
import { readTar, type TarEntry, writeTar } from './tar.js';

/** A tree's entries in path order, as tar entries (relative names, directories ending in `/`). */
export function treeEntries(tree: Tree, mtime = 0): TarEntry[] {
  return [...tree]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, e]) => {
      const name = path.slice(1);
      if (e.kind === 'dir') return { name: `${name}/`, type: 'dir', data: Buffer.alloc(0), mtime };
      if (e.kind === 'link') return { name, type: 'link', data: Buffer.alloc(0), target: e.target, mtime };
      const entry: TarEntry = { name, type: 'file', data: e.data, mtime };
      if (e.mode !== undefined) entry.mode = e.mode;
      return entry;
    });
}

/** The layer tar of a tree (mtime 0: the same tree always gives the same bytes and digest). */
export function layerTar(tree: Tree): Buffer {
  return writeTar(treeEntries(tree));
}

const DIGESTS = new WeakMap<Tree, string>();

/** `sha256:<hex>` of a tree's layer tar (remembered per tree: image trees never change). */
export function layerDiffId(tree: Tree): string {
  let d = DIGESTS.get(tree);
  if (!d) {
    d = `sha256:${createHash('sha256').update(layerTar(tree)).digest('hex')}`;
    DIGESTS.set(tree, d);
  }
  return d;
}

/** A layer tar back into a tree (whiteouts and special files are skipped: the simulator has none). */
export function treeOfTar(bytes: Buffer): Tree {
  return treeOfEntries(readTar(bytes));
}

/** Tar entries as a tree (whiteouts and the root are skipped). */
export function treeOfEntries(entries: Iterable<TarEntry>): Tree {
  const tree: Tree = new Map();
  for (const e of entries) {
    const path = cleanPath(e.name);
    if (path === '/' || path.split('/').some((p) => p.startsWith('.wh.'))) continue;
    let entry: FsEntry;
    if (e.type === 'dir') entry = { kind: 'dir' };
    else if (e.type === 'link') entry = { kind: 'link', target: e.target ?? '' };
    else
      entry =
        e.mode === undefined ? { kind: 'file', data: e.data } : { kind: 'file', data: e.data, mode: e.mode };
    tree.set(path, entry);
  }
  return tree;
}
