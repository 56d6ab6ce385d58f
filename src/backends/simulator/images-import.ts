/**
 * `docker import`: `POST /images/create?fromSrc=-&repo=&tag=&message=&changes=…` with a tar (plain or
 * gzip) as the body becomes a one-layer image whose files are the archive's, as dockerd 20.10 does it
 * (daemon/images/image_import.go): the config is an empty one with the `changes` applied, the layer's
 * diff id is the sha256 of the uncompressed tar as sent, the comment `Imported from -` unless a message
 * is given, and the answer one JSON status line with the new id. A container from it sees the files,
 * `docker export` gives them back and `docker save` writes them as the image's layer.
 * What it does not do: fetch `fromSrc=<url>` (no network: 501 naming the simulator) or read bzip2/xz
 * (the same).
 * @module
 */
import { createHash } from 'node:crypto';
import { type Duplex, PassThrough, pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Engine } from './engine.js';
import { badRequest, EngineError } from './engine-errors.js';
import { imageIdEvent } from './events.js';
import type { Tree } from './fs.js';
import { applyChanges } from './image-changes.js';
import { normalizeRef, type SimImage } from './images.js';
import { treeBytes } from './images-ops.js';
import { treeOfEntries } from './layers.js';
import { joinRef, repoError, TAG } from './refs.js';
import { type TarEntry, TarError, TarReader } from './tar.js';

/** dockerd's JSON-message stream ends each line with CRLF (pkg/streamformatter). */
const status = (text: string) => `${JSON.stringify({ status: text })}\r\n`;

/** Where the image's name comes from: `repo` may carry its tag (`me/app:1`, as the CLI sends it). */
function targetRef(query: Record<string, string>): string | undefined {
  const repo = query.repo ?? '';
  if (repo === '') return undefined;
  if (repo.includes('@')) throw badRequest('cannot import digest reference');
  const slash = repo.lastIndexOf('/');
  const colon = repo.lastIndexOf(':');
  const [name, ownTag] = colon > slash ? [repo.slice(0, colon), repo.slice(colon + 1)] : [repo, ''];
  const bad = repoError(name);
  if (bad) throw badRequest(bad);
  const tag = query.tag || ownTag;
  if (tag !== '' && !TAG.test(tag)) throw badRequest('invalid tag format');
  return joinRef(name, tag);
}

/**
 * The uncompressed tar as it arrives: gzip is recognised by its magic bytes, as dockerd's
 * DecompressStream does; bzip2 and xz are refused (node has no decoder for them).
 */
async function* tarBytes(stream: Readable): AsyncGenerator<Buffer> {
  const it: AsyncIterator<Buffer> = stream[Symbol.asyncIterator]();
  // The magic bytes may arrive split over chunks: gather the first six (dockerd peeks at ten,
  // whatever the upload's chunks were).
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 6) {
    const n = await it.next();
    if (n.done) {
      ended = true;
      break;
    }
    head = head.length === 0 ? n.value : Buffer.concat([head, n.value]);
  }
  if (head.length === 0) return;
  if (head.subarray(0, 3).toString('latin1') === 'BZh') throw unsupported('bzip2');
  if (head[0] === 0xfd && head.subarray(1, 6).toString('latin1') === '7zXZ\0') throw unsupported('xz');
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    if (ended) return;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) return yield* all();
  const gunzip = createGunzip();
  pipeline(Readable.from(all()), gunzip, () => {});
  for await (const chunk of gunzip) yield chunk as Buffer;
}

function unsupported(what: string): EngineError {
  return new EngineError(
    501,
    `the simulator does not implement importing ${what}-compressed archives; import a plain or gzip tar, or use a real daemon (dockerclient)`,
  );
}

/**
 * Reads the upload and makes the image; resolves with the answer's stream (one status line with the
 * id). Refuses before reading with dockerd's 400s for a bad name; a body that is not a tar is dockerd's
 * 500 with Go's tar reader's words.
 */
export async function imageImport(
  engine: Engine,
  query: Record<string, string>,
  repeated: Record<string, string[]> | undefined,
  stream: Duplex | undefined,
): Promise<PassThrough> {
  try {
    // dockerd's order: the name, the changes, then the source.
    const ref = targetRef(query);
    const config: Record<string, unknown> = {};
    applyChanges(config, query, repeated);
    const src = query.fromSrc ?? '';
    if (src !== '-') {
      throw new EngineError(
        501,
        `the simulator does not implement importing from a URL (${src}): it has no network; pipe the file instead (docker import FILE or -), or use a real daemon (dockerclient)`,
      );
    }
    const entries: TarEntry[] = [];
    const reader = new TarReader((e) => entries.push(e));
    const digest = createHash('sha256');
    try {
      if (stream) {
        for await (const chunk of tarBytes(stream)) {
          digest.update(chunk);
          reader.push(chunk);
        }
      }
      reader.end();
    } catch (err) {
      if (err instanceof EngineError) throw err;
      // dockerd unpacks the layer in a child process and words its failure so.
      const why = err instanceof TarError ? err.message : `unexpected EOF: ${(err as Error).message}`;
      throw new EngineError(500, `Error processing tar file(exit status 1): ${why}`);
    }
    const image = newImage(engine, treeOfEntries(entries), `sha256:${digest.digest('hex')}`, query, config);
    const now = engine.wall.now();
    if (ref !== undefined) {
      engine.images.tag(image, ref, now);
      engine.events.emit(imageIdEvent(image.id, normalizeRef(ref), 'tag', now));
    }
    engine.events.emit(imageIdEvent(image.id, image.id, 'import', now));
    const out = new PassThrough();
    out.end(status(image.id));
    return out;
  } finally {
    stream?.destroy();
  }
}

function newImage(
  engine: Engine,
  tree: Tree,
  diffId: string,
  query: Record<string, string>,
  config: Record<string, unknown>,
): SimImage {
  const now = engine.wall.now();
  const comment = query.message || `Imported from ${query.fromSrc}`;
  // dockerd's id is the digest of the config document, which holds the creation time: two imports of
  // one tar are two images. The same here, from the same ingredients.
  const id = `sha256:${createHash('sha256')
    .update(`import:${diffId}:${now}:${comment}:${JSON.stringify(config)}:${engine.images.all.length}`)
    .digest('hex')}`;
  const image: SimImage = {
    id,
    tags: [],
    digest: '',
    created: now,
    size: treeBytes(tree),
    cmd: (config.Cmd as string[] | undefined) ?? null,
    env: (config.Env as string[] | undefined) ?? [],
    tree,
    layers: [tree],
    diffIds: [diffId],
    parent: '',
    comment,
    author: '',
    createdBy: '',
    container: '',
    // An imported image's config is an empty one: no PATH (`Env: null`) unless a change sets it.
    config: { Env: null, ...config },
    lastTagTime: 0,
  };
  engine.images.add(image);
  return image;
}
