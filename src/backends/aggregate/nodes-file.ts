/**
 * The `--nodes-file` list: one stage command per line (optionally `name=command`), `#` comments and
 * blank lines ignored, re-read whenever the file changes. A file with a bad line is refused as a whole
 * (the error names the file and the line) so the running set is kept until the file is fixed. Replace
 * the file atomically (write a temporary file, rename it over): a file polled half-written is applied as
 * it was read.
 * Polls with `fs.watchFile`, which works on every filesystem, including ones where `fs.watch` misses
 * editors' rename-over writes.
 * @module
 */

import { unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ErrorCode, SwarmError } from '../../errors.js';
import { checkRuntimeChild, type NodeSpec, splitNamed } from './args.js';

/** One line of the file. */
export interface NodeLine {
  /** From a `name=` prefix; unnamed lines are named by {@link nameNodeLines}. */
  name?: string;
  command: string;
  /** 1-based line number, for errors. */
  line: number;
}

/** Parses the file's text; throws `SWARM_ERR_INVALID_ARGUMENT` naming the first bad line. */
export function parseNodesFile(text: string): NodeLine[] {
  const out: NodeLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim();
    if (!l || l.startsWith('#')) return;
    const { name, command } = splitNamed(l);
    try {
      // Lexed now, not at spawn time, so a typo is refused before any node is added or removed.
      checkRuntimeChild(command, `nodes file line ${i + 1}`);
    } catch (err) {
      throw new SwarmError(ErrorCode.InvalidArgument, `line ${i + 1}: ${(err as Error).message}`);
    }
    out.push({ ...(name ? { name } : {}), command, line: i + 1 });
  });
  return out;
}

/**
 * Names the file's lines. A `name=` prefix wins; an unnamed line keeps the name of a running file node
 * with the same command (so deleting one line does not rename, and so respawn, the lines after it), or
 * else gets the first `node<k>` used by no running node and not in `taken` (the command line's nodes).
 * Throws on a name used twice.
 */
export function nameNodeLines(
  lines: readonly NodeLine[],
  running: readonly { name: string; command: string }[],
  taken: ReadonlySet<string>,
): NodeSpec[] {
  const used = new Set(taken);
  for (const l of lines) {
    if (!l.name) continue;
    if (used.has(l.name)) throw invalid(`line ${l.line}: node name ${l.name} is already used`);
    used.add(l.name);
  }
  const reusable = new Map<string, string[]>();
  for (const n of running) {
    if (used.has(n.name)) continue;
    reusable.set(n.command, [...(reusable.get(n.command) ?? []), n.name]);
  }
  const runningNames = new Set(running.map((n) => n.name));
  let k = 1;
  return lines.map((l) => {
    let name = l.name ?? reusable.get(l.command)?.shift();
    if (!name) {
      while (used.has(`node${k}`) || runningNames.has(`node${k}`)) k++;
      name = `node${k}`;
    }
    used.add(name);
    return { name, command: l.command };
  });
}

/** Reads and parses the file now. A missing file is an empty list (the operator may create it later). */
export async function readNodesFile(path: string): Promise<NodeLine[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    return parseNodesFile(text);
  } catch (err) {
    throw invalid(`nodes file ${path}: ${(err as Error).message}; the running nodes are kept`);
  }
}

/** Calls `onChange` with the file's lines after every modification. Returns the stop function. */
export function watchNodesFile(
  path: string,
  onChange: (lines: NodeLine[]) => void,
  onError: (err: unknown) => void,
  intervalMs = 500,
): () => void {
  const listener = () => {
    readNodesFile(path).then(onChange, onError);
  };
  watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(path, listener);
}

function invalid(why: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `aggregate: ${why}`);
}
