/**
 * The engine's images: `busybox:local` from the start, plus whatever was pulled. Pulls always
 * succeed (the simulator stands in for a registry). Ids and digests are stable hashes of the name so
 * two engines agree on them, as nodes pulling the same tag from one registry would.
 * @module
 */
import { createHash } from 'node:crypto';
import { BUSYBOX_SIZE, busyboxTree, type Tree } from './fs.js';
import { layerDiffId } from './layers.js';
import { rfc3339Nano, unixSeconds } from './time.js';

/** One image. */
export interface SimImage {
  /** `sha256:<64 hex>`. */
  id: string;
  tags: string[];
  digest: string;
  /** Wall ms. */
  created: number;
  size: number;
  /** The command a container runs when the create body has none. */
  cmd: string[] | null;
  env: string[];
  /** The image's whole root filesystem (every layer applied). */
  tree: Tree;
  /** Each layer's files, base first; `diffIds` are their tar digests (RootFS.Layers). */
  layers: Tree[];
  diffIds: string[];
  /** Id of the image it was committed from, or ''. */
  parent: string;
  comment: string;
  author: string;
  /** History's CreatedBy of the top layer (a commit: the container's command). */
  createdBy: string;
  /** The container a commit came from, and its config (inspect `Container`, `ContainerConfig`). */
  container: string;
  /** Config fields beyond Cmd/Env that a commit or load carried (Entrypoint, Labels, WorkingDir…). */
  config: Record<string, unknown>;
  /** Wall ms of the last tag, 0 = never (inspect Metadata.LastTagTime). */
  lastTagTime: number;
}

/** The PATH every simulated image carries. */
export const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Normalises a reference the way the CLI's user types it: `busybox` → `busybox:latest`,
 * `docker.io/library/busybox:1.36` → `busybox:1.36`. Digests (`@sha256:…`) are kept as given.
 */
export function normalizeRef(ref: string): string {
  let r = ref.replace(/^docker\.io\//, '').replace(/^index\.docker\.io\//, '');
  r = r.replace(/^library\//, '');
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  return r.indexOf(':', lastSlash + 1) >= 0 ? r : `${r}:latest`;
}

/** The image store of one engine. */
export class ImageStore {
  readonly #byTag = new Map<string, SimImage>();
  readonly #all: SimImage[] = [];

  constructor(created: number) {
    this.#add('busybox:local', created);
  }

  #add(tag: string, created: number): SimImage {
    const repo = tag.slice(0, tag.lastIndexOf(':'));
    const tree = busyboxTree();
    const image: SimImage = {
      id: `sha256:${sha256(`image:${tag}`)}`,
      tags: [tag],
      digest: `${repo}@sha256:${sha256(`digest:${tag}`)}`,
      created,
      size: BUSYBOX_SIZE,
      cmd: ['sh'],
      env: DEFAULT_ENV,
      tree,
      layers: [tree],
      diffIds: [layerDiffId(tree)],
      parent: '',
      // Like the test bed's busybox:local (imported from a tar), so `docker history` reads the same.
      comment: 'Imported from -',
      author: '',
      createdBy: '',
      container: '',
      config: {},
      lastTagTime: 0,
    };
    this.#byTag.set(tag, image);
    this.#all.push(image);
    return image;
  }

  /** Adds a built image (commit, load) under its tags, taking each tag from any image holding it. */
  add(image: SimImage): void {
    if (!this.#all.includes(image)) this.#all.push(image);
    const tags = image.tags;
    image.tags = [];
    for (const t of tags) this.tag(image, t, image.created);
  }

  /** The image with exactly this id (`sha256:…`). */
  byId(id: string): SimImage | undefined {
    return this.#all.find((i) => i.id === id);
  }

  /** Points `ref` (normalised) at `image`; the image that held it loses it. */
  tag(image: SimImage, ref: string, now: number): void {
    const tag = normalizeRef(ref);
    const old = this.#byTag.get(tag);
    if (old === image) return;
    if (old) old.tags = old.tags.filter((t) => t !== tag);
    this.#byTag.set(tag, image);
    image.tags = [...image.tags, tag];
    image.lastTagTime = now;
  }

  /** Removes the tag `ref` from whatever image holds it; returns that image. */
  untag(ref: string): SimImage | undefined {
    const tag = normalizeRef(ref);
    const image = this.#byTag.get(tag);
    if (!image) return undefined;
    this.#byTag.delete(tag);
    image.tags = image.tags.filter((t) => t !== tag);
    return image;
  }

  /** Forgets an image and its tags. */
  delete(image: SimImage): void {
    for (const t of image.tags) this.#byTag.delete(t);
    image.tags = [];
    const i = this.#all.indexOf(image);
    if (i >= 0) this.#all.splice(i, 1);
  }

  /** Every image, oldest first. */
  get all(): readonly SimImage[] {
    return this.#all;
  }

  /** Finds an image by reference (`busybox`, `busybox:local`), full id or id prefix (≥ 1 hex). */
  resolve(ref: string): SimImage | undefined {
    const byTag = this.#byTag.get(normalizeRef(ref));
    if (byTag) return byTag;
    const hex = ref.replace(/^sha256:/, '');
    if (!/^[0-9a-f]+$/.test(hex)) return undefined;
    const found = this.#all.filter((i) => i.id.slice(7).startsWith(hex));
    return found.length === 1 ? found[0] : undefined;
  }

  /** Adds `ref` (already present: returns it) and says whether it was new. */
  pull(ref: string, now: number): { image: SimImage; fresh: boolean } {
    const tag = normalizeRef(ref);
    const have = this.#byTag.get(tag);
    return have ? { image: have, fresh: false } : { image: this.#add(tag, now), fresh: true };
  }
}

/** A row of `GET /images/json` (dockerd 20.10 shape). */
export function imageRow(image: SimImage, containers: number): Record<string, unknown> {
  return {
    Containers: containers,
    Created: unixSeconds(image.created),
    Id: image.id,
    Labels: image.config.Labels ?? null,
    ParentId: image.parent,
    // dockerd 20.10 lists an untagged image as <none>:<none>.
    RepoDigests: image.digest ? [image.digest] : image.tags.length === 0 ? ['<none>@<none>'] : [],
    RepoTags: image.tags.length > 0 ? image.tags : ['<none>:<none>'],
    SharedSize: -1,
    Size: image.size,
    VirtualSize: image.size,
  };
}

/** An image's `Config` as inspect shows it: the image's own fields over an empty container config. */
export function imageConfig(image: SimImage): Record<string, unknown> {
  return {
    Hostname: '',
    Domainname: '',
    User: '',
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: image.env,
    Cmd: image.cmd,
    Image: '',
    Volumes: null,
    WorkingDir: '',
    Entrypoint: null,
    OnBuild: null,
    Labels: null,
    ...image.config,
  };
}

/** `GET /images/{name}/json` (dockerd 20.10 shape). */
export function imageInspect(image: SimImage): Record<string, unknown> {
  const config = imageConfig(image);
  return {
    Id: image.id,
    RepoTags: image.tags,
    RepoDigests: image.digest ? [image.digest] : [],
    Parent: image.parent,
    Comment: image.comment,
    Created: rfc3339Nano(image.created),
    Container: image.container,
    ContainerConfig: config,
    DockerVersion: '20.10.24',
    Author: image.author,
    Config: config,
    Architecture: 'amd64',
    Os: 'linux',
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: image.diffIds },
    Metadata: {
      LastTagTime: image.lastTagTime === 0 ? '0001-01-01T00:00:00Z' : rfc3339Nano(image.lastTagTime),
    },
  };
}
