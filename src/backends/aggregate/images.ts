/**
 * Image reference normalisation, so `busybox`, `busybox:latest` and `docker.io/library/busybox:latest`
 * are recognised as one image when deciding which node holds it.
 * @module
 */

/** The canonical form of an image reference: registry and `library/` dropped for Docker Hub, `:latest` added. */
export function normalizeImageRef(ref: string): string {
  if (/^(sha256:)?[0-9a-f]{12,64}$/.test(ref)) return ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
  let r = ref;
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (r.startsWith(prefix)) r = r.slice(prefix.length);
  }
  if (r.startsWith('library/')) r = r.slice('library/'.length);
  if (r.includes('@')) return r;
  const lastSlash = r.lastIndexOf('/');
  const hasTag = r.slice(lastSlash + 1).includes(':');
  return hasTag ? r : `${r}:latest`;
}

/** True when `held` (tags and ids a node has) contains the image `wanted` (a tag, digest, id or id prefix). */
export function holdsImage(held: readonly string[], wanted: string): boolean {
  const w = normalizeImageRef(wanted);
  if (w.startsWith('sha256:')) return held.some((h) => normalizeImageRef(h).startsWith(w));
  return held.some((h) => normalizeImageRef(h) === w);
}
