/**
 * How a stage that models only part of the Engine API (the simulator) answers an operation it does
 * not model, derived from the route table: a lookup or removal of one object (`GET /networks/x`,
 * `DELETE /volumes/x`, `GET /plugins/x/json`) is a 404, as for an object that does not exist, because
 * `docker inspect NAME` walks every kind of object and needs a 404 from each to print "No such
 * object", and compose checks that a network or volume is absent before creating it (and treats a 404
 * on removal as already gone); everything else is 501 with a hint saying what to do instead.
 * @module
 */
import type { DockerArgs, Route, RouteObject } from './api.js';
import { routeOf } from './api.js';

/** What to do instead, per kind of object. */
const HINTS: Partial<Record<RouteObject, string>> = {
  network: 'run containers with --network none (in a compose file: network_mode: none)',
  volume: 'use bind mounts (-v /host/dir:/dir) instead of named volumes',
  plugin: 'manage plugins on a real daemon (dockerclient)',
  build: 'build images on a real daemon (dockerclient)',
  image: 'images are pulled on demand; tag, save, load or remove them on a real daemon (dockerclient)',
  container: 'run it against a real daemon (dockerclient)',
  session: 'build images on a real daemon (dockerclient)',
  distribution: 'ask a registry through a real daemon (dockerclient)',
};

const SWARM_KINDS: ReadonlySet<RouteObject> = new Set([
  'swarm',
  'node',
  'service',
  'task',
  'secret',
  'config',
]);
const SWARM_HINT =
  'swarmd is its own cluster layer (aggregate); for Docker swarm mode put a real daemon (dockerclient) behind swarmd';

/** True for a lookup or removal of one object: the answer a missing object gets is a 404. */
function isLookup(route: Route): boolean {
  return (
    route.path.includes('{') &&
    (route.method === 'GET' || route.method === 'DELETE') &&
    (route.op.endsWith('.inspect') || route.op.endsWith('.remove'))
  );
}

/** The family's name in messages: `networks`, `swarm mode`. */
function familyName(route: Route): string {
  if (SWARM_KINDS.has(route.object)) return 'swarm mode';
  return `${route.object}s`;
}

/**
 * The status (404 or 501) and message for an op `stage` does not model, e.g. `GET /networks/p_default:
 * the simulator does not implement networks; run containers with --network none (…)`.
 */
export function unmodelled(args: DockerArgs, stage: string): { status: number; message: string } {
  const route = routeOf(args.op);
  if (!route) return { status: 400, message: `${stage}: unknown docker op ${JSON.stringify(args.op)}` };
  const hint = SWARM_KINDS.has(route.object) ? SWARM_HINT : (HINTS[route.object] ?? 'use a real daemon');
  const path = route.path.replace(/\{[a-z]+\*?\}/, args.id ?? '');
  const message = `${route.method} ${path}: ${stage} does not implement ${route.op} (${familyName(route)}); ${hint}`;
  return { status: isLookup(route) ? 404 : 501, message };
}
