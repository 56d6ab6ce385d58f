/**
 * The engine's images: `busybox:local` from the start, plus whatever was pulled. Pulls always
 * succeed (the simulator stands in for a registry). Ids and digests are stable hashes of the name so
 * two engines agree on them, as nodes pulling the same tag from one registry would.
 * @module
 */
import { createHash } from 'node:crypto';
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
  cmd: string[];
  env: string[];
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
    const image: SimImage = {
      id: `sha256:${sha256(`image:${tag}`)}`,
      tags: [tag],
      digest: `${repo}@sha256:${sha256(`digest:${tag}`)}`,
      created,
      size: 1_982_298,
      cmd: ['sh'],
      env: DEFAULT_ENV,
    };
    this.#byTag.set(tag, image);
    this.#all.push(image);
    return image;
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
    Labels: null,
    ParentId: '',
    RepoDigests: [image.digest],
    RepoTags: image.tags,
    SharedSize: -1,
    Size: image.size,
    VirtualSize: image.size,
  };
}

/** `GET /images/{name}/json` (dockerd 20.10 shape). */
export function imageInspect(image: SimImage): Record<string, unknown> {
  const config = {
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
  };
  return {
    Id: image.id,
    RepoTags: image.tags,
    RepoDigests: [image.digest],
    Parent: '',
    Comment: '',
    Created: rfc3339Nano(image.created),
    Container: '',
    ContainerConfig: config,
    DockerVersion: '20.10.24',
    Author: '',
    Config: config,
    Architecture: 'amd64',
    Os: 'linux',
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: [`sha256:${sha256(`layer:${image.id}`)}`] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
}
