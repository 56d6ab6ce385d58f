/**
 * What the admin reads from the stages that hold connections: a `listen` or `remote` stage's libchan
 * link (sessions, link state, bytes/messages/credit stalls) and a dockerclient stage's sockets to its
 * daemon (streams, pooled calls, limits). Read duck-typed from what the stage instances expose, so the
 * stages know nothing of the admin, and only when sampling or scraping.
 * @module
 */
import type { StageActor } from '../../backends/stage-actor.js';
import type { SessionTraffic } from '../../libchan/session-flow.js';

/** The remote link states, one `swarmd_remote_link` series each. */
export const LINK_STATES = ['connecting', 'up', 'down', 'stopped'] as const;

/** The libchan link of a `listen` (peers' sessions) or `remote` (its one session) stage. */
export type LinkView = (
  | { kind: 'listen'; sessions: number }
  | { kind: 'remote'; state: (typeof LINK_STATES)[number]; inFlight: number }
) & {
  /** Bytes, messages and credit stalls over every session the stage has had (absent if not exposed). */
  traffic?: SessionTraffic;
};

const TRAFFIC_FIELDS = ['bytesOut', 'bytesIn', 'messagesOut', 'messagesIn', 'creditStalls'] as const;

function trafficOf(value: unknown): SessionTraffic | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = value as Record<string, unknown>;
  return TRAFFIC_FIELDS.every((f) => typeof t[f] === 'number') ? (value as SessionTraffic) : undefined;
}

/**
 * The link of a `listen` or `remote` stage, read from what their instances expose (`sessions`;
 * `linkState`, `inFlight`; both `traffic`).
 */
export function linkOf(stage: StageActor | undefined): LinkView | undefined {
  const i = stage?.instance as
    | { sessions?: unknown; linkState?: unknown; inFlight?: unknown; traffic?: unknown }
    | undefined;
  let view: LinkView | undefined;
  if (stage?.definition.name === 'listen' && typeof i?.sessions === 'number')
    view = { kind: 'listen', sessions: i.sessions };
  else if (
    stage?.definition.name === 'remote' &&
    typeof i?.inFlight === 'number' &&
    (LINK_STATES as readonly unknown[]).includes(i.linkState)
  )
    view = { kind: 'remote', state: i.linkState as (typeof LINK_STATES)[number], inFlight: i.inFlight };
  const traffic = trafficOf(i?.traffic);
  if (view && traffic) view.traffic = traffic;
  return view;
}

/** What a dockerclient stage holds open to its daemon. */
export interface DaemonLinks {
  /** Long-lived streams and hijacks open now, each on a connection of its own. */
  streamsOpen: number;
  streamsLimit: number;
  /** Size of its keep-alive connection pool for plain calls. */
  connectionsLimit: number;
  /** Plain calls on the pool now: the first `connectionsLimit` hold a pooled connection, the rest wait. */
  poolCalls?: number;
  /** Keep-alive pool sockets connected now, busy or idle. */
  poolConnections?: number;
}

/**
 * The daemon links of a stage whose instance has an engine client (dockerclient), read duck-typed so
 * the admin needs nothing from the stage but what it already exposes (`engine.streamsOpen`,
 * `engine.poolConnections`, `limits`, `poolCalls`).
 */
export function daemonLinks(stage: StageActor | undefined): DaemonLinks | undefined {
  const i = stage?.instance as
    | {
        engine?: {
          streamsOpen?: unknown;
          poolConnections?: unknown;
          limits?: { streams?: unknown; connections?: unknown };
        };
        poolCalls?: unknown;
      }
    | undefined;
  const open = i?.engine?.streamsOpen;
  const limits = i?.engine?.limits;
  if (
    typeof open !== 'number' ||
    typeof limits?.streams !== 'number' ||
    typeof limits.connections !== 'number'
  )
    return undefined;
  const links: DaemonLinks = {
    streamsOpen: open,
    streamsLimit: limits.streams,
    connectionsLimit: limits.connections,
  };
  if (typeof i?.poolCalls === 'number') links.poolCalls = i.poolCalls;
  if (typeof i?.engine?.poolConnections === 'number') links.poolConnections = i.engine.poolConnections;
  return links;
}
