/**
 * The route table: every Engine API v1.41 operation (and `/grpc`, which dockerd serves beyond the
 * spec) as one row ({@link Route}). It is the one place that decides an endpoint's op and verb, method
 * and path, what it addresses, whether it reads or changes, how its body and answer travel, its time
 * rules and how a fan-out stage treats it; dockerserver, dockerclient, the aggregate, the simulator and
 * the admin page all read it. test/docker/spec-coverage.test.ts holds it to Docker's OpenAPI file.
 * @module
 */
import { CONTAINER_ROUTES, EXEC_ROUTES } from './containers.js';
import { BUILD_ROUTES, DISTRIBUTION_ROUTES, IMAGE_ROUTES } from './images.js';
import { NETWORK_ROUTES, PLUGIN_ROUTES, VOLUME_ROUTES } from './objects.js';
import {
  CONFIG_ROUTES,
  NODE_ROUTES,
  SECRET_ROUTES,
  SERVICE_ROUTES,
  SWARM_ROUTES,
  TASK_ROUTES,
} from './swarm.js';
import { SESSION_ROUTES, SYSTEM_ROUTES } from './system.js';
import type { Route as AnyRoute } from './types.js';

export type {
  AnswerTransport,
  FanOut,
  RequestTransport,
  RouteObject,
} from './types.js';

const ALL = [
  ...SYSTEM_ROUTES,
  ...CONTAINER_ROUTES,
  ...EXEC_ROUTES,
  ...IMAGE_ROUTES,
  ...BUILD_ROUTES,
  ...DISTRIBUTION_ROUTES,
  ...NETWORK_ROUTES,
  ...VOLUME_ROUTES,
  ...PLUGIN_ROUTES,
  ...SWARM_ROUTES,
  ...NODE_ROUTES,
  ...SERVICE_ROUTES,
  ...TASK_ROUTES,
  ...SECRET_ROUTES,
  ...CONFIG_ROUTES,
  ...SESSION_ROUTES,
];

/** Every Docker operation swarmd knows: the `op` of a request message. */
export type DockerOp = (typeof ALL)[number]['op'];

/** One row of the route table (see routes/types.ts for each field). */
export type Route = AnyRoute<DockerOp>;

/** The route table, most specific first within each method (first match wins). */
export const ROUTES: readonly Route[] = ALL;

/** The row each op is sent on: its first row (`GET /_ping` rather than `HEAD`). */
export const ROUTE_BY_OP: ReadonlyMap<DockerOp, Route> = (() => {
  const m = new Map<DockerOp, Route>();
  for (const r of ALL) if (!m.has(r.op)) m.set(r.op, r);
  return m;
})();

/** The row of `op` (its first), or `undefined` for a name that is not an op. */
export function routeOf(op: unknown): Route | undefined {
  return typeof op === 'string' ? ROUTE_BY_OP.get(op as DockerOp) : undefined;
}

/** Every row of each op: one operation may travel two ways (ping's GET and HEAD, attach's websocket). */
const ROWS_BY_OP: ReadonlyMap<DockerOp, readonly Route[]> = (() => {
  const m = new Map<DockerOp, Route[]>();
  for (const r of ALL) m.set(r.op, [...(m.get(r.op) ?? []), r]);
  return m;
})();

/**
 * The row a request is sent on: its op's first row, unless the request carries an `Upgrade` of its own
 * (a websocket) that another row of the op passes through (`GET /containers/{id}/attach/ws`).
 */
export function routeFor(op: unknown, headers?: Readonly<Record<string, unknown>>): Route | undefined {
  const rows = typeof op === 'string' ? ROWS_BY_OP.get(op as DockerOp) : undefined;
  if (!rows) return undefined;
  const upgrade = headers?.upgrade;
  if (rows.length > 1 && typeof upgrade === 'string' && upgrade.toLowerCase() !== 'tcp')
    return rows.find((r) => r.answer === 'upgrade') ?? rows[0];
  return rows[0];
}

/** Default stop timeout dockerd applies when a stop/restart names none (seconds). */
const DEFAULT_STOP_SECONDS = 10;

/**
 * Extra time a call waits on purpose, ms: a stop/restart is answered only after the container's grace
 * period, `t` (or the older `timeout`) seconds, 10 when absent. 0 for every other route.
 */
export function graceMs(route: Route | undefined, query: Readonly<Record<string, string>>): number {
  if (route?.grace !== 'stop') return 0;
  const t = Number(query.t ?? query.timeout ?? DEFAULT_STOP_SECONDS);
  return Number.isFinite(t) && t > 0 ? t * 1000 : 0;
}

/** True when the request's body is a raw upload stream (not JSON) for this route and query. */
export function isUpload(route: Route, query: Readonly<Record<string, string>>): boolean {
  return route.body === 'upload' || (route.body === 'upload-if-fromSrc' && query.fromSrc === '-');
}
