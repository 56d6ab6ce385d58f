/**
 * Image references as `docker tag` and `docker commit` check them (distribution/reference's grammar,
 * the part dockerd 20.10 applies to `repo` and `tag`): lowercase path components joined by `.`, `_`,
 * `__` or dashes, an optional registry host[:port] first, a tag of word characters, dots and dashes.
 * @module
 */

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)';
const PATH = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const HOST = new RegExp(`^${DOMAIN}$`);
/** A tag: up to 128 word characters, dots and dashes, not starting with a dot or dash. */
export const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * Why `repo` is not a repository name dockerd accepts (its exact error text), or undefined when it is.
 * A first component with a dot, a colon or `localhost` is a registry host, as in reference.ParseNormalizedNamed.
 */
export function repoError(repo: string): string | undefined {
  if (repo === '') return 'invalid reference format';
  if (repo.length > 255)
    return 'invalid reference format: repository name must not be more than 255 characters';
  const slash = repo.indexOf('/');
  const first = slash < 0 ? '' : repo.slice(0, slash);
  const hasDomain = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const path = hasDomain ? repo.slice(slash + 1) : repo;
  if (hasDomain && !HOST.test(first)) return 'invalid reference format';
  if (PATH.test(path)) return undefined;
  if (path !== path.toLowerCase() && PATH.test(path.toLowerCase())) {
    return 'invalid reference format: repository name must be lowercase';
  }
  return 'invalid reference format';
}

/** `repo:tag` as dockerd stores it (tag `latest` when empty). */
export function joinRef(repo: string, tag: string): string {
  return `${repo}:${tag === '' ? 'latest' : tag}`;
}
