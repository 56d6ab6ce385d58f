/**
 * Image tag, remove, history, prune and commit with dockerd 20.10's rules and texts
 * (daemon/images/image_delete.go): removing a tag only untags while other tags remain; removing the
 * last tag or the id deletes, unless a container uses the image (a stopped one: "must be forced", a
 * running one: "cannot be forced"), the id has several tags ("referenced in multiple repositories"),
 * or a committed image has it as parent ("dependent child images").
 * @module
 */
import { createHash } from 'node:crypto';
import { isRunning, type SimContainer } from './container.js';
import type { Engine } from './engine.js';
import { badRequest, conflict, EngineError, noSuchContainer } from './engine-errors.js';
import { containerEvent, imageIdEvent } from './events.js';
import { type Filters, labelMatch } from './filters.js';
import { mergeTrees, type Tree } from './fs.js';
import { applyChanges } from './image-changes.js';
import { imageConfig, normalizeRef, type SimImage } from './images.js';
import { layerDiffId } from './layers.js';
import { joinRef, repoError, TAG } from './refs.js';
import { unixSeconds } from './time.js';

/** One record of a remove or prune answer. */
export type DeleteRecord = { Untagged: string } | { Deleted: string };

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** dockerd's 404 for an image reference that resolves to nothing. */
export function noSuchImage(ref: string): EngineError {
  const shown = /^(sha256:)?[0-9a-f]+$/.test(ref) ? ref : normalizeRef(ref);
  return new EngineError(404, `No such image: ${shown}`);
}

/** Resolves `ref` or throws {@link noSuchImage}. */
export function getImage(engine: Engine, ref: string): SimImage {
  const image = engine.images.resolve(ref);
  if (!image) throw noSuchImage(ref);
  return image;
}

/**
 * The bytes a layer adds (what `history` shows as its Size): as dockerd's directory.Size, every
 * entry's lstat size but directories', so a symlink counts its target's length.
 */
export function treeBytes(tree: Tree): number {
  let n = 0;
  for (const e of tree.values()) {
    if (e.kind === 'file') n += e.data.length;
    else if (e.kind === 'link') n += Buffer.byteLength(e.target);
  }
  return n;
}

/** The layer chain ids of an image (dockerd's ChainID: each layer's digest folded over its parents). */
export function chainIds(image: SimImage): string[] {
  const out: string[] = [];
  let chain = '';
  for (const diff of image.diffIds) {
    chain = chain === '' ? diff : `sha256:${createHash('sha256').update(`${chain} ${diff}`).digest('hex')}`;
    out.push(chain);
  }
  return out;
}

/** `POST /images/{name}/tag?repo=&tag=`. */
export function imageTag(engine: Engine, ref: string, query: Record<string, string>): void {
  const image = getImage(engine, ref);
  const repo = query.repo ?? '';
  const tag = query.tag ?? '';
  const bad = repoError(repo);
  if (bad) throw new EngineError(500, bad);
  if (tag !== '' && !TAG.test(tag)) throw new EngineError(500, 'invalid tag format');
  const full = joinRef(repo, tag);
  const now = engine.wall.now();
  engine.images.tag(image, full, now);
  engine.events.emit(imageIdEvent(image.id, normalizeRef(full), 'tag', now));
}

interface DeleteConflict {
  hard: boolean;
  used: boolean;
  message: string;
}

const HARD = 1;
const ACTIVE_REFERENCE = 2;
const STOPPED = 4;

function users(engine: Engine, image: SimImage): SimContainer[] {
  return engine.containers.newestFirst().filter((c) => c.image === image);
}

function findConflict(engine: Engine, image: SimImage, mask: number): DeleteConflict | undefined {
  if (mask & HARD) {
    if (engine.images.all.some((i) => i.parent === image.id)) {
      return { hard: true, used: false, message: 'image has dependent child images' };
    }
    const running = users(engine, image).find(isRunning);
    if (running) {
      return {
        hard: true,
        used: true,
        message: `image is being used by running container ${short(running.id)}`,
      };
    }
  }
  if (mask & ACTIVE_REFERENCE && image.tags.length > 0) {
    return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
  }
  if (mask & STOPPED) {
    const stopped = users(engine, image).find((c) => !isRunning(c));
    if (stopped) {
      return {
        hard: false,
        used: true,
        message: `image is being used by stopped container ${short(stopped.id)}`,
      };
    }
  }
  return undefined;
}

function conflictError(image: SimImage, c: DeleteConflict): EngineError {
  return conflict(
    `conflict: unable to delete ${short(image.id)} (${c.hard ? 'cannot be forced' : 'must be forced'}) - ${c.message}`,
  );
}

function untag(engine: Engine, image: SimImage, tag: string, records: DeleteRecord[]): void {
  engine.images.untag(tag);
  records.push({ Untagged: tag });
  engine.events.emit(imageIdEvent(image.id, image.id, 'untag', engine.wall.now()));
}

function isIdPrefix(id: string, ref: string): boolean {
  return id.startsWith(ref) || id.slice(7).startsWith(ref);
}

/** `DELETE /images/{name}?force=&noprune=`: the records dockerd answers with. */
export function imageRemove(engine: Engine, ref: string, force: boolean, prune: boolean): DeleteRecord[] {
  const image = getImage(engine, ref);
  const records: DeleteRecord[] = [];
  let removedRepositoryRef = false;
  if (!isIdPrefix(image.id, ref)) {
    const tag = normalizeRef(ref);
    if (!force && image.tags.length === 1) {
      const user = users(engine, image)[0];
      if (user) {
        throw conflict(
          `conflict: unable to remove repository reference "${ref}" (must force) - container ${short(user.id)} is using its referenced image ${short(image.id)}`,
        );
      }
    }
    untag(engine, image, tag, records);
    if (image.tags.length > 0) return records;
    removedRepositoryRef = true;
  } else if (image.tags.length === 1) {
    const found = findConflict(engine, image, HARD | (force ? 0 : STOPPED));
    if (found) throw conflictError(image, found);
    for (const t of [...image.tags]) untag(engine, image, t, records);
  }
  deleteImage(engine, image, records, force, prune, removedRepositoryRef);
  return records;
}

function deleteImage(
  engine: Engine,
  image: SimImage,
  records: DeleteRecord[],
  force: boolean,
  prune: boolean,
  quiet: boolean,
): void {
  const found = findConflict(engine, image, HARD | (force ? 0 : ACTIVE_REFERENCE | STOPPED));
  if (found) {
    // After untagging its last tag, a used image just stays (dangling) rather than failing the remove.
    if (quiet && (image.tags.length > 0 || found.used)) return;
    throw conflictError(image, found);
  }
  for (const t of [...image.tags]) untag(engine, image, t, records);
  const others = new Set(engine.images.all.filter((i) => i !== image).flatMap(chainIds));
  engine.images.delete(image);
  engine.events.emit(imageIdEvent(image.id, image.id, 'delete', engine.wall.now()));
  records.push({ Deleted: image.id });
  for (const chain of chainIds(image).reverse()) if (!others.has(chain)) records.push({ Deleted: chain });
  const parent = image.parent === '' ? undefined : engine.images.byId(image.parent);
  if (prune && parent && parent.tags.length === 0 && !engine.images.all.some((i) => i.parent === parent.id)) {
    deleteImage(engine, parent, records, false, true, true);
  }
}

/** `GET /images/{name}/history`: the image and its parents, newest first. */
export function imageHistory(engine: Engine, ref: string): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let image: SimImage | undefined = getImage(engine, ref); image; ) {
    const parent: SimImage | undefined = image.parent === '' ? undefined : engine.images.byId(image.parent);
    rows.push({
      Comment: image.comment,
      Created: unixSeconds(image.created),
      CreatedBy: image.createdBy,
      Id: image.id,
      Size: parent ? image.size - parent.size : image.size,
      Tags: image.tags.length > 0 ? image.tags : null,
    });
    image = parent;
  }
  return rows;
}

/** Every layer chain id held by some image, with the bytes its layer adds. */
function layerSizes(engine: Engine): Map<string, number> {
  const out = new Map<string, number>();
  for (const image of engine.images.all) {
    chainIds(image).forEach((chain, i) => {
      const layer = image.layers[i];
      if (layer) out.set(chain, treeBytes(layer));
    });
  }
  return out;
}

/** `POST /images/prune`: dangling images (or with `dangling=false` every unused one). */
export function imagePrune(
  engine: Engine,
  f: Filters,
): { ImagesDeleted: DeleteRecord[] | null; SpaceReclaimed: number } {
  for (const key of f.keys()) {
    if (!['dangling', 'label', 'label!'].includes(key)) throw badRequest(`Invalid filter '${key}'`);
  }
  const danglingOnly = !(f.get('dangling') ?? ['true']).some((v) => v === 'false' || v === '0');
  const records: DeleteRecord[] = [];
  let reclaimed = 0;
  const used = new Set(engine.containers.newestFirst().map((c) => c.image));
  // Top images only (no children): a parent goes with its last child, as dockerd prunes.
  const top = engine.images.all.filter((i) => !engine.images.all.some((c) => c.parent === i.id));
  for (const image of top) {
    if (used.has(image) || (danglingOnly && image.tags.length > 0)) continue;
    if (!labelMatch(f, 'label', (image.config.Labels as Record<string, string> | undefined) ?? {})) continue;
    const before = layerSizes(engine);
    const tags = [...image.tags];
    try {
      if (tags.length === 0) records.push(...imageRemove(engine, image.id, false, true));
      else for (const t of tags) records.push(...imageRemove(engine, t, false, true));
    } catch {
      continue; // a conflict leaves the image, like dockerd's prune
    }
    // Reclaimed: the layers no image holds any more (a layer shared with another image stays).
    const after = layerSizes(engine);
    for (const [chain, size] of before) if (!after.has(chain)) reclaimed += size;
  }
  const now = engine.wall.now();
  engine.events.emit({
    Type: 'image',
    Action: 'prune',
    Actor: { ID: '', Attributes: { reclaimed: String(reclaimed) } },
    scope: 'local',
    time: Math.floor(now / 1000),
    timeNano: Math.round(now * 1e6),
  });
  return { ImagesDeleted: records.length > 0 ? records : null, SpaceReclaimed: reclaimed };
}

/**
 * `POST /commit?container=&repo=&tag=&comment=&author=&changes=`: a new image from the container's
 * layer on top of its image, with the container's config (the body's non-empty fields and the
 * `changes` instructions win). Returns its id.
 */
export function commit(
  engine: Engine,
  query: Record<string, string>,
  repeated: Record<string, string[]> | undefined,
  body: unknown,
): { Id: string } {
  const c = engine.containers.find(query.container ?? '');
  if (!c) throw noSuchContainer(query.container ?? '');
  const repo = query.repo ?? '';
  const tag = query.tag ?? '';
  if (repo !== '') {
    const bad = repoError(repo);
    if (bad) throw badRequest(bad);
  }
  if (tag !== '' && repo === '') throw badRequest('invalid reference format');
  if (tag !== '' && !TAG.test(tag)) throw badRequest('invalid tag format');
  const config: Record<string, unknown> = { ...c.config };
  const user = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(user)) {
    if (v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) config[k] = v;
  }
  applyChanges(config, query, repeated);
  const now = engine.wall.now();
  const layer = new Map(c.layer);
  const parent = c.image;
  const tree = mergeTrees(parent.tree, layer);
  const added = treeBytes(layer);
  const id = `sha256:${createHash('sha256')
    .update(`${c.id}:${now}:${JSON.stringify(config)}:${engine.images.all.length}`)
    .digest('hex')}`;
  const image: SimImage = {
    id,
    tags: repo === '' ? [] : [joinRef(repo, tag)],
    digest: '',
    created: now,
    size: parent.size + added,
    cmd: (config.Cmd as string[] | null) ?? null,
    env: (config.Env as string[] | null) ?? [],
    tree,
    layers: [...parent.layers, layer],
    diffIds: [...parent.diffIds, layerDiffId(layer)],
    parent: parent.id,
    comment: query.comment ?? '',
    author: query.author ?? '',
    createdBy: [c.path, ...c.args].join(' '),
    container: c.id,
    config: { ...imageConfig({ ...parent, config: {} }), ...config },
    lastTagTime: repo === '' ? 0 : now,
  };
  engine.images.add(image);
  engine.events.emit(
    containerEvent(c, 'commit', now, {
      comment: image.comment,
      imageID: id,
      imageRef: image.tags[0] ?? '',
    }),
  );
  return { Id: id };
}
