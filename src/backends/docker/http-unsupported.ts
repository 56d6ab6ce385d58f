/**
 * Engine API endpoints swarmd knows of but does not serve (networks, volumes, image build/push,
 * swarm mode, plugins…). dockerd's own `404 page not found` would mislead clients that probe before
 * they create: docker-compose 1.29 reads a 404 from `POST /volumes/create` as "nonexistent driver
 * None" and gives up on networks with a bare "page not found". So mutations and lists get
 * `501 Not Implemented` with a message that says what is missing and what to do instead, while a
 * GET or DELETE of one network, volume or plugin is a 404 (with the same explanation): through swarmd
 * there is no such object. `docker inspect NAME` walks containers, images, networks, volumes and
 * plugins and needs a 404 from each to say "No such object"; compose's "does network X exist?" must
 * see "no" before it tries to create it, and its `down` treats a 404 on removal as already gone.
 * @module
 */
import { type HttpError, httpError } from './http-errors.js';
import { isHttpError, type MatchedRoute, matchRoute } from './http-router.js';

interface Family {
  /** What the message calls it: "the networks API". */
  name: string;
  /** First path segment(s) after the optional version prefix. */
  pattern: RegExp;
  /** One object of the family: GET / DELETE of it answer 404, as for an object that does not exist. */
  object?: RegExp;
  hint: string;
}

const CLUSTER_HINT =
  'swarmd is its own cluster layer; for Docker swarm mode talk to a daemon directly, not through swarmd';

const FAMILIES: readonly Family[] = [
  {
    name: 'networks',
    pattern: /^\/networks(\/|$)/,
    object: /^\/networks\/[^/]+\/?$/,
    hint: 'run containers with --network none (in a compose file: network_mode: none)',
  },
  {
    name: 'volumes',
    pattern: /^\/volumes(\/|$)/,
    object: /^\/volumes\/[^/]+\/?$/,
    hint: 'use bind mounts (-v /host/dir:/dir) instead of named volumes',
  },
  {
    name: 'plugins',
    pattern: /^\/plugins(\/|$)/,
    object: /^\/plugins\/.+\/json\/?$/,
    hint: 'manage plugins on the daemon itself',
  },
  {
    name: 'image build, push, tag, remove, save and load',
    pattern: /^\/(build|commit|images\/(search|load|get|prune)\/?$|images\/.+\/(history|push|tag|get)\/?$)/,
    hint: 'swarmd serves images for list, inspect and pull; build or load images on the daemon itself',
  },
  {
    name: 'container export, diff and update',
    pattern: /^\/containers\/[^/]+\/(export|changes|update|attach\/ws)\/?$/,
    hint: 'run it against the daemon that holds the container',
  },
  {
    name: 'swarm mode',
    pattern: /^\/(swarm|nodes|services|tasks|secrets|configs)(\/|$)/,
    hint: CLUSTER_HINT,
  },
  {
    name: 'registry login and distribution',
    pattern: /^\/(auth|distribution)(\/|$)/,
    hint: 'log in on the daemon itself',
  },
  { name: 'session (BuildKit)', pattern: /^\/session\/?$/, hint: 'build on the daemon itself' },
];

/** DELETE /images/{name} is the one image removal route; it has no fixed last segment to match on. */
function family(method: string, path: string): Family | undefined {
  if (method === 'DELETE' && /^\/images\/.+/.test(path)) return FAMILIES[3];
  return FAMILIES.find((f) => f.pattern.test(path));
}

/**
 * The answer for an endpoint swarmd knows but does not serve, or `undefined` for a path that is not
 * part of the Engine API at all (that one stays dockerd's `404 page not found`).
 */
export function unsupportedEndpoint(method: string, url: string): HttpError | undefined {
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/^\/v\d+\.\d+(?=\/)/, '');
  const f = family(method, path);
  if (!f) return undefined;
  const message = `${method} ${path}: swarmd does not implement the ${f.name} API; ${f.hint}`;
  const absent = ['GET', 'HEAD', 'DELETE'].includes(method) && f.object?.test(path);
  return httpError(absent ? 404 : 501, message);
}

/** {@link matchRoute}, with a known-but-unserved endpoint answered by {@link unsupportedEndpoint}. */
export function resolveRoute(method: string, url: string, maxVersion: string): MatchedRoute | HttpError {
  const match = matchRoute(method, url, maxVersion);
  if (isHttpError(match) && match.status === 404) return unsupportedEndpoint(method, url) ?? match;
  return match;
}
