/**
 * The policy's view of the route table (src/backends/docker/routes): the op names it knows, which of
 * them only read, and the raw request line of the AuthZ plugin mode resolved to an op by the chain's
 * own router. Nothing here lists endpoints: a row added to the route table is known here at once, and
 * is a read for the `readonly` profile exactly when its row says it changes nothing (and it is not one
 * of the reads below that copy data or secrets out).
 * @module
 */
import { ROUTES } from '../docker/api.js';
import { cleanPath, decodePathBytes, escapePathBytes } from '../docker/http-path.js';
import { isHttpError, matchRoute } from '../docker/http-router.js';

/** Every operation name the policy knows (for validating a rules file): the route table's. */
export const KNOWN_OPS: ReadonlySet<string> = new Set(ROUTES.map((r) => r.op));

/**
 * Rows that change nothing on the daemon but are no reads for the policy: they copy whole
 * filesystems or images out (archive get, export, image save), carry secrets (`GET /swarm` holds the
 * join tokens, the unlock key, secrets and configs), check registry credentials, or read swarm
 * services' and tasks' logs.
 */
const NOT_READS: ReadonlySet<string> = new Set([
  'auth',
  'container.archive.get',
  'container.export',
  'image.get',
  'image.get.all',
  'swarm.inspect',
  'swarm.unlockkey',
  'secret.list',
  'secret.inspect',
  'config.list',
  'config.inspect',
  'service.logs',
  'task.logs',
]);

/** Rows the table counts as changes (a POST) that only wait: reads for the policy. */
const WAITS: ReadonlySet<string> = new Set(['container.wait']);

/** Operations that only read: the rows that change nothing, minus {@link NOT_READS}, plus {@link WAITS}. */
export const READ_OPS: ReadonlySet<string> = new Set(
  ROUTES.filter((r) => (!r.changes && !NOT_READS.has(r.op)) || WAITS.has(r.op)).map((r) => r.op),
);

/**
 * The version given to the chain's router: the plugin mode strips the version prefix itself (dockerd
 * already checked it), so no version check applies.
 */
const ANY_VERSION = '1.41';

/** A raw request line resolved the way dockerd's router reads it. */
export interface RawMatch {
  op: string | undefined;
  /** The decoded `{id}`/`{name}` parameter. */
  id?: string;
  /** The path after decoding, cleaning and the version prefix. */
  path: string;
  query: Record<string, string>;
}

/**
 * Resolves `method` + a raw request URI as dockerd does: percent-decoded, cleaned (`..`, `//`),
 * version prefix removed. `op` is undefined for a path no route matches.
 */
export function matchRawRequest(method: string, uri: string): RawMatch {
  const q = uri.indexOf('?');
  const rawPath = q < 0 ? uri : uri.slice(0, q);
  const search = q < 0 ? '' : uri.slice(q);
  const bytes = decodePathBytes(rawPath);
  if (!bytes) return { op: undefined, path: rawPath, query: firstValues(search) };
  let path = cleanPath(bytes.toString('utf8'));
  // dockerd's router: `/v{version:[0-9.]+}` before every route.
  path = path.replace(/^\/v[0-9.]+(?=\/)/, '');
  // The chain's router, on the decoded and cleaned path escaped again (it decodes `{id}` itself).
  const hit = matchRoute(
    method.toUpperCase(),
    `${escapePathBytes(Buffer.from(path, 'utf8'))}${search}`,
    ANY_VERSION,
  );
  if (isHttpError(hit)) return { op: undefined, path, query: firstValues(search) };
  const match: RawMatch = { op: hit.route.op, path, query: hit.query };
  if (hit.id !== undefined) match.id = hit.id;
  return match;
}

/** Query parameters, the first value of each (dockerd's `r.Form.Get`). */
function firstValues(search: string): Record<string, string> {
  const query: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(search)) if (!Object.hasOwn(query, k)) query[k] = v;
  return query;
}
