/**
 * `--own`: containers created through the policy carry an owner label (the request's identity),
 * lists and events show only the caller's own containers, and a call on anyone else's container
 * answers 404 exactly as for one that does not exist. The owner is read from the daemon (an inspect
 * through the next stage) and the call goes on with the container's full id, so a rename between the
 * check and the call cannot redirect it.
 * @module
 */

import { Client } from '../../actors/client.js';
import type { Message } from '../../actors/message.js';
import type { Clock } from '../../clock.js';
import { ErrorCode, isSwarmError, SwarmError } from '../../errors.js';
import type { Sender } from '../../libchan/types.js';
import { type DockerArgs, resultBody, routeOf } from '../docker/api.js';
import type { GoStruct } from './go-decode.js';
import { goFold } from './go-json.js';

/** The label that names a container's owner. */
export const OWNER_LABEL = 'io.swarmd.owner';

const EXEC_OPS = new Set(['exec.start', 'exec.inspect', 'exec.resize']);
const LIST_OPS = new Set(['container.list', 'container.prune', 'events']);
/** Ops that show every container whatever the filters: refused under --own. */
const ALL_CONTAINER_OPS = new Set(['system.df']);

/** What ownership does with a request: go on (maybe rewritten), answer 404, or refuse. */
export type OwnOutcome =
  | { kind: 'forward'; args: DockerArgs }
  | { kind: 'absent'; message: string }
  | { kind: 'deny'; what: string };

function notFound(kind: string, id: string): OwnOutcome {
  return { kind: 'absent', message: `No such ${kind}: ${id}` };
}

/** `filters` (Docker's JSON: key → [values] or key → {value: true}) with the owner's label added. */
export function withOwnerFilter(filters: string | undefined, owner: string): string | undefined {
  let parsed: Record<string, unknown> = {};
  if (filters !== undefined && filters !== '') {
    try {
      parsed = JSON.parse(filters) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  }
  const out: Record<string, Record<string, boolean>> = {};
  for (const [k, v] of Object.entries(parsed)) {
    const values = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v) : undefined;
    if (!values?.every((x) => typeof x === 'string')) return undefined;
    out[k] = Object.fromEntries(values.map((x) => [x, true]));
  }
  out.label = { ...(out.label ?? {}), [`${OWNER_LABEL}=${owner}`]: true };
  return JSON.stringify(out);
}

/** A create body (a JSON value) with every spelling of `Labels` replaced by one that names the owner. */
export function withOwnerLabel(body: unknown, decoded: GoStruct | undefined, owner: string): unknown {
  const labels = { ...((decoded?.Labels as Record<string, string> | undefined) ?? {}), [OWNER_LABEL]: owner };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>))
    if (goFold(k) !== 'LABELS') out[k] = v;
  out.Labels = labels;
  return out;
}

/** Owner checks against the daemon behind `downstream`; each call names the owner it checks for. */
export class Ownership {
  readonly #client: Client;

  constructor(downstream: Sender<Message>, clock: Clock) {
    this.#client = new Client(downstream, { clock, deadlineMs: 30_000 });
  }

  async #inspect(
    op: 'container.inspect' | 'exec.inspect',
    id: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const result = (await this.#client.get({ op, id, query: {} })) as {
        status: number;
        body?: unknown;
        headers?: Record<string, string>;
      };
      const body = resultBody(result as never);
      return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
    } catch (err) {
      if (
        isSwarmError(err, ErrorCode.Remote) &&
        (err.details as { status?: number } | undefined)?.status === 404
      )
        return undefined;
      throw err;
    }
  }

  /** The full id of container `id` when it belongs to `owner`, else undefined. */
  async ownedContainer(id: string, owner: string): Promise<string | undefined> {
    const c = await this.#inspect('container.inspect', id);
    const labels = (c?.Config as { Labels?: Record<string, string> } | undefined)?.Labels;
    return labels?.[OWNER_LABEL] === owner && typeof c?.Id === 'string' ? c.Id : undefined;
  }

  /**
   * What to do with `args` on behalf of `owner` (already allowed by the rules; `decoded` is its
   * decoded body).
   */
  async check(args: DockerArgs, decoded: GoStruct | undefined, owner: string): Promise<OwnOutcome> {
    const op: string = args.op;
    if (op === 'container.create') {
      if (args.body instanceof Uint8Array || !args.body || typeof args.body !== 'object')
        return { kind: 'deny', what: 'with --own a create body must be a JSON object value' };
      for (const [at, hc] of [
        ['', decoded],
        ['HostConfig.', decoded?.HostConfig as GoStruct | undefined],
      ] as const) {
        for (const f of ['NetworkMode', 'PidMode', 'IpcMode']) {
          const v = hc?.[f];
          if (
            typeof v === 'string' &&
            v.startsWith('container:') &&
            !(await this.ownedContainer(v.slice(10), owner))
          )
            return { kind: 'deny', what: `${at}${f} joins ${v.slice(10)}, not a container of ${owner}` };
        }
      }
      return { kind: 'forward', args: { ...args, body: withOwnerLabel(args.body, decoded, owner) } };
    }
    if (LIST_OPS.has(op)) {
      const filters = withOwnerFilter(args.query.filters, owner);
      if (filters === undefined)
        return { kind: 'deny', what: 'the filters parameter is not Docker filter JSON' };
      return { kind: 'forward', args: { ...args, query: { ...args.query, filters } } };
    }
    if (ALL_CONTAINER_OPS.has(op)) return { kind: 'deny', what: `${op} shows every container on the daemon` };
    // Every op on one container, from the route table (a fixed list missed container.diff): by the
    // path's id, or by a query parameter naming it (image.commit?container=X).
    const route = routeOf(op);
    if (route?.containerQuery !== undefined) {
      const named = args.query[route.containerQuery];
      if (named !== undefined && named !== '') {
        const id = await this.ownedContainer(named, owner);
        if (!id) return notFound('container', named);
        return { kind: 'forward', args: { ...args, query: { ...args.query, [route.containerQuery]: id } } };
      }
    } else if (route?.object === 'container' && /\{(id|name\*)\}/.test(route.path)) {
      const id = await this.ownedContainer(args.id ?? '', owner);
      return id ? { kind: 'forward', args: { ...args, id } } : notFound('container', args.id ?? '');
    }
    if (EXEC_OPS.has(op)) {
      const exec = await this.#inspect('exec.inspect', args.id ?? '');
      const container = typeof exec?.ContainerID === 'string' ? exec.ContainerID : undefined;
      if (!container || !(await this.ownedContainer(container, owner)))
        return notFound('exec instance', args.id ?? '');
      return { kind: 'forward', args };
    }
    return { kind: 'forward', args };
  }
}

/** The 404 error for a container the caller does not own. */
export function absentError(message: string): SwarmError {
  return new SwarmError(ErrorCode.NotFound, message, { details: { status: 404 } });
}
