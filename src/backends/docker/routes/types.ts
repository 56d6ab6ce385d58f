/**
 * The shape of one row of the route table ({@link Route}) and the small builder the family files use
 * to write rows tersely with their family's defaults.
 * @module
 */
import type { Verb } from '../../../actors/message.js';

/** What a route addresses: the kind of object its `{id}`/`{name*}` names, or the family it belongs to. */
export type RouteObject =
  | 'system'
  | 'container'
  | 'exec'
  | 'image'
  | 'build'
  | 'network'
  | 'volume'
  | 'plugin'
  | 'swarm'
  | 'node'
  | 'service'
  | 'task'
  | 'secret'
  | 'config'
  | 'distribution'
  | 'session';

/**
 * How the request body travels. `json`: read whole (bounded) and parsed; `none`: the route takes no
 * body (whatever is sent is read and ignored like JSON, as before); `upload`: a raw byte stream (a tar)
 * passed on as the message's stream, never buffered; `upload-if-fromSrc`: `upload` when the query says
 * `fromSrc=-` (`docker import -`), else none.
 */
export type RequestTransport = 'none' | 'json' | 'upload' | 'upload-if-fromSrc';

/**
 * How the answer travels. `complete`: one answer read whole (`set`); `stream`: a chunked body passed
 * on as it comes (`ack` with a stream); `hijack`: `Upgrade: tcp` (attach, exec start: 101 and a raw
 * byte pipe, or a plain answer when detached); `upgrade`: the client's own `Upgrade` protocol (h2c,
 * websocket) passed through with its headers, then a raw byte pipe both ways.
 */
export type AnswerTransport = 'complete' | 'stream' | 'hijack' | 'upgrade';

/**
 * How a fan-out stage (the aggregate) treats a route. `merge`: the fan-out stage answers it itself
 * from every node (lists, info, version, events, df, every prune, a pull on every node, container,
 * network and volume creates it places);
 * `ping`: one healthy node at the short deadline; `container`: the node holding the container named by
 * the path (or by the `container` query parameter, see {@link Route.containerQuery}); `exec`: the node
 * holding the exec instance; `holder`: the nodes are asked in order, the first that knows the object
 * answers (images, networks, volumes by name); `any`: one reachable node serves it (a pull, a build,
 * the daemon-local families: plugins, swarm mode, registry login).
 */
export type FanOut = 'merge' | 'ping' | 'container' | 'exec' | 'holder' | 'any';

/** One row of the route table: everything any stage needs to know about one Engine API operation. */
export interface Route<O extends string = string> {
  /** The op name every stage uses (`container.list`, `network.create`, …). */
  readonly op: O;
  /** The operationId in Docker's OpenAPI file for v1.41, or `null` for a route dockerd serves beyond it. */
  readonly spec: string | null;
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  /**
   * Path after the optional `/vX.Y` prefix; `{id}` matches one segment, `{name*}` and `{ref*}` the rest
   * (dockerd's `{name:.*}`). A `{ref*}` (image and plugin references) is sent on with its slashes as
   * they are; an `{id}` or `{name*}` as one encoded segment.
   */
  readonly path: string;
  readonly verb: Verb;
  readonly object: RouteObject;
  /** True when the call changes state on the daemon; false for reads. */
  readonly changes: boolean;
  readonly body: RequestTransport;
  readonly answer: AnswerTransport;
  /** `stop`: the call waits up to the `t` query seconds (default 10) on purpose: deadlines add it. */
  readonly grace?: 'stop';
  readonly fanout: FanOut;
  /** The addressed container is named by this query parameter, not the path (`POST /commit?container=`). */
  readonly containerQuery?: string;
  /** Request headers that matter to the daemon and travel with the request (lower case). */
  readonly headers?: readonly string[];
  /** Why a `spec: null` route exists. */
  readonly note?: string;
}

/** A family's defaults for {@link rowsOf}. */
export interface FamilyDefaults {
  object: RouteObject;
  fanout: FanOut;
}

/** What a row may override beyond its op, spec, method, path and verb. */
export type RowExtra = Partial<Omit<Route, 'op' | 'spec' | 'method' | 'path' | 'verb'>>;

/** A terse row: op, spec operationId, method, path, verb, then overrides. */
export type RowSpec<O extends string> = readonly [
  op: O,
  spec: string | null,
  method: Route['method'],
  path: string,
  verb: Verb,
  extra?: RowExtra,
];

/**
 * Builds a family's rows from terse tuples. Defaults: reads are GET/HEAD, everything else changes;
 * POST/PUT bodies are JSON, others none; answers are complete.
 */
export function rowsOf<const O extends string>(
  defaults: FamilyDefaults,
  specs: readonly RowSpec<O>[],
): Route<O>[] {
  return specs.map(([op, spec, method, path, verb, extra]) => {
    const reads = method === 'GET' || method === 'HEAD';
    return {
      op,
      spec,
      method,
      path,
      verb,
      object: defaults.object,
      fanout: defaults.fanout,
      changes: !reads,
      body: reads || method === 'DELETE' ? 'none' : 'json',
      answer: 'complete',
      ...extra,
    };
  });
}
