/**
 * How a stage that models only part of the Engine API (the simulator) answers an operation it does
 * not model, derived from the route table: a lookup or removal of one object (`GET /plugins/x/json`,
 * `DELETE /plugins/x`, `GET /nodes/x`) is a 404, as for an object that does not exist, because
 * `docker inspect NAME` walks every kind of object and needs a 404 from each to print "No such
 * object"; everything else is 501 with a hint saying what to do instead.
 * @module
 */
import type { DockerArgs, Route, RouteObject } from './api.js';
import { routeOf } from './api.js';

/**
 * What to do instead, per kind of object the simulator leaves (part of) unmodelled. Only kinds with an
 * op it does not answer have one (test/simulator/unmodelled.test.ts holds the kinds to the ops it refuses):
 * containers' stats and archive calls, image search and push (a registry), builds and their BuildKit
 * sessions, distribution lookups, plugins, `POST /auth`.
 */
export const UNMODELLED_HINTS: Readonly<Partial<Record<RouteObject, string>>> = {
  plugin: 'manage plugins on a real daemon (dockerclient)',
  build: 'build images on a real daemon (dockerclient)',
  image: 'search and push need a registry: run them against a real daemon (dockerclient)',
  container: 'run it against a real daemon (dockerclient)',
  session: 'build images on a real daemon (dockerclient)',
  distribution: 'ask a registry through a real daemon (dockerclient)',
  system: 'log in to a registry through a real daemon (dockerclient)',
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
 * The status (404 or 501) and message for an op `stage` does not model, e.g. `POST /images/x/push: the
 * simulator does not implement image.push (images); search and push need a registry: …`.
 */
export function unmodelled(args: DockerArgs, stage: string): { status: number; message: string } {
  const route = routeOf(args.op);
  if (!route) return { status: 400, message: `${stage}: unknown docker op ${JSON.stringify(args.op)}` };
  const hint = SWARM_KINDS.has(route.object)
    ? SWARM_HINT
    : (UNMODELLED_HINTS[route.object] ?? 'use a real daemon');
  const path = route.path.replace(/\{[a-z]+\*?\}/, args.id ?? '');
  const message = `${route.method} ${path}: ${stage} does not implement ${route.op} (${familyName(route)}); ${hint}`;
  return { status: isLookup(route) ? 404 : 501, message };
}
