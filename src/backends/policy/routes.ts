/**
 * Every Engine API v1.41 endpoint as a policy operation, for the AuthZ plugin mode (which sees
 * dockerd's raw request line). The op names are the route table's (src/backends/docker/routes), so
 * the plugin and the chain stage decide on one vocabulary; test/policy/routes-names.test.ts holds the
 * two to the same set of names.
 * @module
 */
import { cleanPath, decodePathBytes } from '../docker/http-path.js';

/** One endpoint: method, path pattern (after the version prefix), operation name. */
interface RawRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly op: string;
}

const ID = '([^/]+)';
const NAME = '(.+)';
const table: [string, string, string][] = [
  ['GET', '/_ping', 'ping'],
  ['HEAD', '/_ping', 'ping'],
  ['GET', '/version', 'version'],
  ['GET', '/info', 'info'],
  ['GET', '/events', 'events'],
  ['GET', '/system/df', 'system.df'],
  ['POST', '/auth', 'auth'],
  ['GET', '/containers/json', 'container.list'],
  ['POST', '/containers/create', 'container.create'],
  ['POST', '/containers/prune', 'container.prune'],
  ['GET', `/containers/${ID}/json`, 'container.inspect'],
  ['GET', `/containers/${ID}/top`, 'container.top'],
  ['GET', `/containers/${ID}/logs`, 'container.logs'],
  ['GET', `/containers/${ID}/changes`, 'container.diff'],
  ['GET', `/containers/${ID}/export`, 'container.export'],
  ['GET', `/containers/${ID}/stats`, 'container.stats'],
  ['POST', `/containers/${ID}/resize`, 'container.resize'],
  ['POST', `/containers/${ID}/start`, 'container.start'],
  ['POST', `/containers/${ID}/stop`, 'container.stop'],
  ['POST', `/containers/${ID}/restart`, 'container.restart'],
  ['POST', `/containers/${ID}/kill`, 'container.kill'],
  ['POST', `/containers/${ID}/update`, 'container.update'],
  ['POST', `/containers/${ID}/rename`, 'container.rename'],
  ['POST', `/containers/${ID}/pause`, 'container.pause'],
  ['POST', `/containers/${ID}/unpause`, 'container.unpause'],
  ['POST', `/containers/${ID}/attach`, 'container.attach'],
  ['GET', `/containers/${ID}/attach/ws`, 'container.attach'],
  ['POST', `/containers/${ID}/wait`, 'container.wait'],
  ['DELETE', `/containers/${ID}`, 'container.remove'],
  ['HEAD', `/containers/${ID}/archive`, 'container.archive.stat'],
  ['GET', `/containers/${ID}/archive`, 'container.archive.get'],
  ['PUT', `/containers/${ID}/archive`, 'container.archive.put'],
  ['POST', `/containers/${ID}/exec`, 'container.exec'],
  ['POST', `/exec/${ID}/start`, 'exec.start'],
  ['POST', `/exec/${ID}/resize`, 'exec.resize'],
  ['GET', `/exec/${ID}/json`, 'exec.inspect'],
  ['GET', '/images/json', 'image.list'],
  ['POST', '/build', 'image.build'],
  ['POST', '/build/prune', 'image.build.prune'],
  ['POST', '/images/create', 'image.create'],
  ['GET', '/images/search', 'image.search'],
  ['POST', '/images/prune', 'image.prune'],
  ['GET', '/images/get', 'image.get.all'],
  ['POST', '/images/load', 'image.load'],
  ['GET', `/images/${NAME}/json`, 'image.inspect'],
  ['GET', `/images/${NAME}/history`, 'image.history'],
  ['POST', `/images/${NAME}/push`, 'image.push'],
  ['POST', `/images/${NAME}/tag`, 'image.tag'],
  ['GET', `/images/${NAME}/get`, 'image.get'],
  ['DELETE', `/images/${NAME}`, 'image.remove'],
  ['POST', '/commit', 'image.commit'],
  ['GET', `/distribution/${NAME}/json`, 'distribution.inspect'],
  ['GET', '/volumes', 'volume.list'],
  ['POST', '/volumes/create', 'volume.create'],
  ['POST', '/volumes/prune', 'volume.prune'],
  ['GET', `/volumes/${ID}`, 'volume.inspect'],
  ['DELETE', `/volumes/${ID}`, 'volume.remove'],
  ['GET', '/networks', 'network.list'],
  ['POST', '/networks/create', 'network.create'],
  ['POST', '/networks/prune', 'network.prune'],
  ['GET', `/networks/${ID}`, 'network.inspect'],
  ['DELETE', `/networks/${ID}`, 'network.remove'],
  ['POST', `/networks/${ID}/connect`, 'network.connect'],
  ['POST', `/networks/${ID}/disconnect`, 'network.disconnect'],
  ['GET', '/plugins', 'plugin.list'],
  ['GET', '/plugins/privileges', 'plugin.privileges'],
  ['POST', '/plugins/pull', 'plugin.install'],
  ['POST', '/plugins/create', 'plugin.create'],
  ['GET', `/plugins/${NAME}/json`, 'plugin.inspect'],
  ['POST', `/plugins/${NAME}/enable`, 'plugin.enable'],
  ['POST', `/plugins/${NAME}/disable`, 'plugin.disable'],
  ['POST', `/plugins/${NAME}/upgrade`, 'plugin.upgrade'],
  ['POST', `/plugins/${NAME}/push`, 'plugin.push'],
  ['POST', `/plugins/${NAME}/set`, 'plugin.set'],
  ['DELETE', `/plugins/${NAME}`, 'plugin.remove'],
  ['GET', '/swarm', 'swarm.inspect'],
  ['POST', '/swarm/init', 'swarm.init'],
  ['POST', '/swarm/join', 'swarm.join'],
  ['POST', '/swarm/leave', 'swarm.leave'],
  ['POST', '/swarm/update', 'swarm.update'],
  ['GET', '/swarm/unlockkey', 'swarm.unlockkey'],
  ['POST', '/swarm/unlock', 'swarm.unlock'],
  ['GET', '/nodes', 'node.list'],
  ['GET', `/nodes/${ID}`, 'node.inspect'],
  ['DELETE', `/nodes/${ID}`, 'node.remove'],
  ['POST', `/nodes/${ID}/update`, 'node.update'],
  ['GET', '/services', 'service.list'],
  ['POST', '/services/create', 'service.create'],
  ['GET', `/services/${ID}`, 'service.inspect'],
  ['DELETE', `/services/${ID}`, 'service.remove'],
  ['POST', `/services/${ID}/update`, 'service.update'],
  ['GET', `/services/${ID}/logs`, 'service.logs'],
  ['GET', '/tasks', 'task.list'],
  ['GET', `/tasks/${ID}`, 'task.inspect'],
  ['GET', `/tasks/${ID}/logs`, 'task.logs'],
  ['GET', '/secrets', 'secret.list'],
  ['POST', '/secrets/create', 'secret.create'],
  ['GET', `/secrets/${ID}`, 'secret.inspect'],
  ['DELETE', `/secrets/${ID}`, 'secret.remove'],
  ['POST', `/secrets/${ID}/update`, 'secret.update'],
  ['GET', '/configs', 'config.list'],
  ['POST', '/configs/create', 'config.create'],
  ['GET', `/configs/${ID}`, 'config.inspect'],
  ['DELETE', `/configs/${ID}`, 'config.remove'],
  ['POST', `/configs/${ID}/update`, 'config.update'],
  ['POST', '/session', 'session'],
  ['POST', '/grpc', 'session.grpc'],
];

const ROUTES: readonly RawRoute[] = table.map(([method, path, op]) => ({
  method,
  op,
  pattern: new RegExp(`^${path}/?$`),
}));

/** Every operation name the policy knows (for validating a rules file). */
export const KNOWN_OPS: ReadonlySet<string> = new Set(ROUTES.map((r) => r.op));

/**
 * Operations that only read. Archive reads, exports and image saves copy whole filesystems out,
 * `GET /swarm` carries the join tokens and the unlock key is a secret: none of them is here.
 */
export const READ_OPS: ReadonlySet<string> = new Set([
  'ping',
  'version',
  'info',
  'events',
  'system.df',
  'container.list',
  'container.inspect',
  'container.top',
  'container.logs',
  'container.diff',
  'container.stats',
  'container.wait',
  'container.archive.stat',
  'exec.inspect',
  'image.list',
  'image.inspect',
  'image.history',
  'image.search',
  'distribution.inspect',
  'volume.list',
  'volume.inspect',
  'network.list',
  'network.inspect',
  'plugin.list',
  'plugin.inspect',
  'plugin.privileges',
  'node.list',
  'node.inspect',
  'service.list',
  'service.inspect',
  'task.list',
  'task.inspect',
]);

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
  const query: Record<string, string> = Object.create(null);
  // dockerd reads a repeated query parameter's first value (r.Form.Get).
  for (const [k, v] of new URLSearchParams(q < 0 ? '' : uri.slice(q + 1)))
    if (!Object.hasOwn(query, k)) query[k] = v;
  const bytes = decodePathBytes(rawPath);
  if (!bytes) return { op: undefined, path: rawPath, query };
  let path = cleanPath(bytes.toString('utf8'));
  // dockerd's router: `/v{version:[0-9.]+}` before every route.
  path = path.replace(/^\/v[0-9.]+(?=\/)/, '');
  const m = method.toUpperCase();
  for (const r of ROUTES) {
    if (r.method !== m) continue;
    const hit = r.pattern.exec(path);
    if (!hit) continue;
    const match: RawMatch = { op: r.op, path, query };
    if (hit[1] !== undefined) match.id = hit[1];
    return match;
  }
  return { op: undefined, path, query };
}
