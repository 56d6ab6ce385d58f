/**
 * Watches a node-list file (one stage command per line) and reports the specs whenever it changes.
 * Polls with `fs.watchFile`, which works on every filesystem, including ones where `fs.watch` misses
 * editors' rename-over writes.
 * @module
 */

import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type NodeSpec, parseNodesFile } from './args.js';

/** Reads and parses the file now. A missing file is an empty list (the operator may create it later). */
export async function readNodesFile(path: string): Promise<NodeSpec[]> {
  try {
    return parseNodesFile(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Calls `onChange` with the file's specs after every modification. Returns the stop function. */
export function watchNodesFile(
  path: string,
  onChange: (specs: NodeSpec[]) => void,
  onError: (err: unknown) => void,
  intervalMs = 500,
): () => void {
  const listener = () => {
    readNodesFile(path).then(onChange, onError);
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
