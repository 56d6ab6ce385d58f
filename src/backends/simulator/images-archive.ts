/**
 * `docker save` and `docker load` in the format dockerd 20.10 writes (the "docker-archive" layout):
 * per layer a folder with `VERSION`, `json` and `layer.tar`, the image config as `<id hex>.json`,
 * `manifest.json` and `repositories`. A simulator's images round-trip with their ids, tags, config,
 * history fields and files; an archive from a real daemon loads too (its layers become the image's
 * files). What is kept in memory is bounded (tar.ts).
 * @module
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import type { Engine } from './engine.js';
import { EngineError } from './engine-errors.js';
import { imageIdEvent } from './events.js';
import { mergeTrees, type Tree } from './fs.js';
import { imageConfig, normalizeRef, type SimImage } from './images.js';
import { chainIds, treeBytes } from './images-ops.js';
import { layerTar, treeOfTar } from './layers.js';
import { type TarEntry, TarError, TarReader, writeTar } from './tar.js';
import { rfc3339Nano } from './time.js';

const hex = (id: string) => id.replace(/^sha256:/, '');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** The image config document (`<id>.json`) of a simulated image. */
function configDocument(image: SimImage): Record<string, unknown> {
  const config = imageConfig(image);
  return {
    architecture: 'amd64',
    author: image.author || undefined,
    comment: image.comment || undefined,
    config,
    container: image.container || undefined,
    container_config: config,
    created: rfc3339Nano(image.created),
    docker_version: '20.10.24',
    history: image.diffIds.map((_, i) =>
      i === image.diffIds.length - 1
        ? {
            created: rfc3339Nano(image.created),
            created_by: image.createdBy || undefined,
            comment: image.comment || undefined,
          }
        : { created: rfc3339Nano(image.created) },
    ),
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: image.diffIds },
  };
}

/**
 * `GET /images/{name}/get` and `GET /images/get?names=…`: resolves every name first (a missing one
 * is dockerd's 404 before any byte is sent), then streams the archive.
 */
export function imageSave(engine: Engine, refs: readonly string[]): PassThrough {
  const picked: { image: SimImage; tags: string[] }[] = [];
  for (const ref of refs) {
    const image = engine.images.resolve(ref);
    if (!image) throw new EngineError(404, `reference does not exist`);
    const byId =
      /^(sha256:)?[0-9a-f]+$/.test(ref) &&
      image.id.replace('sha256:', '').startsWith(ref.replace('sha256:', ''));
    const tags = byId ? [] : [normalizeRef(ref)];
    const have = picked.find((p) => p.image === image);
    if (have) have.tags.push(...tags.filter((t) => !have.tags.includes(t)));
    else picked.push({ image, tags });
  }
  const entries: TarEntry[] = [];
  const layers = new Map<string, TarEntry[]>();
  const manifest: Record<string, unknown>[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { image, tags } of picked) {
    const mtime = Math.floor(image.created / 1000);
    const chains = chainIds(image);
    let parentV1 = '';
    const layerNames: string[] = [];
    image.layers.forEach((tree, i) => {
      const v1 = sha(`v1:${chains[i]}`);
      if (!layers.has(v1)) {
        const json = JSON.stringify({
          id: v1,
          ...(parentV1 ? { parent: parentV1 } : {}),
          created: rfc3339Nano(image.created),
          os: 'linux',
        });
        layers.set(v1, [
          { name: `${v1}/`, type: 'dir', data: Buffer.alloc(0), mtime },
          { name: `${v1}/VERSION`, type: 'file', data: Buffer.from('1.0'), mtime },
          { name: `${v1}/json`, type: 'file', data: Buffer.from(json), mtime },
          { name: `${v1}/layer.tar`, type: 'file', data: layerTar(tree), mtime },
        ]);
      }
      layerNames.push(`${v1}/layer.tar`);
      parentV1 = v1;
    });
    entries.push({
      name: `${hex(image.id)}.json`,
      type: 'file',
      data: Buffer.from(JSON.stringify(configDocument(image))),
      mtime,
    });
    manifest.push({
      Config: `${hex(image.id)}.json`,
      RepoTags: tags.length > 0 ? tags : null,
      Layers: layerNames,
    });
    for (const t of tags) {
      const colon = t.lastIndexOf(':');
      const repo = t.slice(0, colon);
      repositories[repo] = { ...(repositories[repo] ?? {}), [t.slice(colon + 1)]: parentV1 };
    }
    engine.events.emit(imageIdEvent(image.id, image.id, 'save', engine.wall.now()));
  }
  const sorted = [...layers.keys()].sort().flatMap((k) => layers.get(k) ?? []);
  const all = [
    ...sorted,
    ...entries,
    { name: 'manifest.json', type: 'file' as const, data: Buffer.from(JSON.stringify(manifest)) },
  ];
  if (Object.keys(repositories).length > 0) {
    all.push({ name: 'repositories', type: 'file', data: Buffer.from(JSON.stringify(repositories)) });
  }
  const out = new PassThrough();
  out.end(writeTar(all));
  return out;
}

/** What a top-level archive name is worth keeping while a load reads the upload. */
function keep(name: string): boolean {
  return (
    name === 'manifest.json' ||
    name === 'repositories' ||
    /^[^/]+\.json$/.test(name) ||
    name.endsWith('/layer.tar') ||
    name.startsWith('blobs/')
  );
}

/** A JSON-message line of a load answer. */
const line = (o: object) => `${JSON.stringify(o)}\n`;
const failure = (message: string) => line({ errorDetail: { message }, error: message });

/**
 * `POST /images/load`: reads the whole upload (`stream`), then answers 200 with JSON-message lines
 * (`Loaded image: …`), or — like dockerd, still 200 — an error line for an archive it cannot read.
 */
export async function imageLoad(engine: Engine, stream: Duplex | undefined): Promise<PassThrough> {
  const files = new Map<string, Buffer>();
  const reader = new TarReader((e) => {
    if (e.type === 'file') files.set(e.name.replace(/^\.\//, ''), e.data);
  }, keep);
  const out = new PassThrough();
  try {
    if (stream)
      for await (const chunk of stream) reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    reader.end();
  } catch (err) {
    const message = err instanceof TarError ? err.message : (err as Error).message;
    out.end(failure(`Error processing tar file(exit status 1): ${message}`));
    return out;
  }
  const manifestText = files.get('manifest.json');
  if (!manifestText) {
    out.end(
      failure('open /var/lib/docker/tmp/docker-import-simulator/repositories: no such file or directory'),
    );
    return out;
  }
  try {
    const manifest = JSON.parse(manifestText.toString('utf8')) as {
      Config: string;
      RepoTags: string[] | null;
      Layers: string[];
    }[];
    for (const m of manifest) out.write(loadOne(engine, m, files));
    out.end();
  } catch (err) {
    out.end(failure((err as Error).message));
  }
  return out;
}

function loadOne(
  engine: Engine,
  m: { Config: string; RepoTags: string[] | null; Layers: string[] },
  files: Map<string, Buffer>,
): string {
  const configBytes = files.get(m.Config);
  if (!configBytes)
    throw new Error(
      `open /var/lib/docker/tmp/docker-import-simulator/${m.Config}: no such file or directory`,
    );
  const doc = JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>;
  const config = (doc.config ?? {}) as Record<string, unknown>;
  const layers: Tree[] = m.Layers.map((name) => {
    const bytes = files.get(name);
    if (!bytes)
      throw new Error(`open /var/lib/docker/tmp/docker-import-simulator/${name}: no such file or directory`);
    return treeOfTar(bytes);
  });
  const rootfs = (doc.rootfs ?? {}) as { diff_ids?: string[] };
  const id = `sha256:${m.Config.replace(/^.*\//, '').replace(/\.json$/, '')}`;
  const history = (Array.isArray(doc.history) ? doc.history : []) as {
    created_by?: string;
    comment?: string;
  }[];
  const top = history.at(-1) ?? {};
  const created = Date.parse(String(doc.created ?? '')) || engine.wall.now();
  let image = engine.images.byId(id);
  let text = '';
  const now = engine.wall.now();
  if (!image) {
    const { Cmd, Env, ...rest } = config;
    image = {
      id,
      tags: [],
      digest: '',
      created,
      size: layers.reduce((n, t) => n + treeBytes(t), 0),
      cmd: Array.isArray(Cmd) ? (Cmd as string[]) : null,
      env: Array.isArray(Env) ? (Env as string[]) : [],
      tree: mergeTrees(...layers),
      layers,
      diffIds: rootfs.diff_ids ?? [],
      parent: '',
      comment: typeof doc.comment === 'string' ? doc.comment : (top.comment ?? ''),
      author: typeof doc.author === 'string' ? doc.author : '',
      createdBy: top.created_by ?? '',
      container: typeof doc.container === 'string' ? doc.container : '',
      config: rest,
      lastTagTime: 0,
    };
    engine.images.add(image);
  }
  for (const tag of m.RepoTags ?? []) {
    const old = engine.images.resolve(tag);
    if (old && old !== image) {
      text += line({
        stream: `The image ${normalizeRef(tag)} already exists, renaming the old one with ID ${old.id} to empty string\n`,
      });
    }
    engine.images.tag(image, tag, now);
    text += line({ stream: `Loaded image: ${normalizeRef(tag)}\n` });
  }
  if ((m.RepoTags ?? []).length === 0) text += line({ stream: `Loaded image ID: ${id}\n` });
  engine.events.emit(imageIdEvent(id, id, 'load', now));
  return text;
}
