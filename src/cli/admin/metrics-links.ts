/**
 * The `/metrics` series of the stages that hold connections: each dockerclient stage's sockets to
 * its daemon (aggregate nodes included) and each `listen`/`remote` stage's libchan link. Labels are
 * the stage name and a fixed direction, state or kind — never a peer address or session id. Values
 * are read at scrape time (links.ts); docs/swarmd.md lists every series.
 * @module
 */
import type { Counter, Gauge } from 'prom-client';
import type { Chain } from '../../backends/chain.js';
import type { StageActor } from '../../backends/stage-actor.js';
import { daemonLinks, LINK_STATES, linkOf } from './links.js';

/** A metric whose series are refilled at each scrape by `fill`. */
type Define<M> = (name: string, help: string, labelNames: string[], fill: (m: M) => void) => M;

/** Registers the daemon-link and libchan-link series, built with the registry's own helpers. */
export function linkMetrics(chain: Chain, define: { counter: Define<Counter>; gauge: Define<Gauge> }): void {
  const { counter, gauge } = define;
  /** A filler over every stage (and node) for which `view` has something to report. */
  const perStage =
    <V>(view: (s: StageActor) => V | undefined) =>
    <M>(fill: (m: M, stage: string, v: V) => void) =>
    (m: M) => {
      for (const s of [...chain.stages, ...chain.children]) {
        const v = view(s);
        if (v) fill(m, s.name, v);
      }
    };

  const links = perStage(daemonLinks);
  gauge(
    'swarmd_daemon_streams_open',
    'Long-lived streams (attach, exec, logs -f, events, stats…) a dockerclient stage holds open to its daemon.',
    ['stage'],
    links((g: Gauge, stage, l) => g.set({ stage }, l.streamsOpen)),
  );
  gauge(
    'swarmd_daemon_streams_limit',
    'Most streams a dockerclient stage opens at once (--streams); one more is refused with 503.',
    ['stage'],
    links((g: Gauge, stage, l) => g.set({ stage }, l.streamsLimit)),
  );
  gauge(
    'swarmd_daemon_connections_limit',
    'Size of a dockerclient stage keep-alive pool for plain calls (--connections).',
    ['stage'],
    links((g: Gauge, stage, l) => g.set({ stage }, l.connectionsLimit)),
  );
  gauge(
    'swarmd_daemon_connections_in_use',
    'Connections a dockerclient stage is using to its daemon now: pooled (a plain call on it) or stream (one per open stream or hijack).',
    ['stage', 'kind'],
    links((g: Gauge, stage, l) => {
      if (l.poolCalls !== undefined)
        g.set({ stage, kind: 'pooled' }, Math.min(l.poolCalls, l.connectionsLimit));
      g.set({ stage, kind: 'stream' }, l.streamsOpen);
    }),
  );
  gauge(
    'swarmd_daemon_pool_connections',
    'Keep-alive pool sockets a dockerclient stage holds to its daemon now, busy or idle (at most --connections).',
    ['stage'],
    links((g: Gauge, stage, l) => {
      if (l.poolConnections !== undefined) g.set({ stage }, l.poolConnections);
    }),
  );
  gauge(
    'swarmd_daemon_pool_waiting',
    'Plain calls of a dockerclient stage waiting for a pooled connection (all --connections busy).',
    ['stage'],
    links((g: Gauge, stage, l) => {
      if (l.poolCalls !== undefined) g.set({ stage }, Math.max(0, l.poolCalls - l.connectionsLimit));
    }),
  );

  const each = perStage(linkOf);
  gauge(
    'swarmd_listen_sessions',
    'Peer sessions a listen stage holds open now.',
    ['stage'],
    each((g: Gauge, stage, l) => {
      if (l.kind === 'listen') g.set({ stage }, l.sessions);
    }),
  );
  gauge(
    'swarmd_remote_link',
    "1 for a remote stage's current link state, 0 for the others.",
    ['stage', 'state'],
    each((g: Gauge, stage, l) => {
      if (l.kind === 'remote')
        for (const state of LINK_STATES) g.set({ stage, state }, l.state === state ? 1 : 0);
    }),
  );
  gauge(
    'swarmd_remote_in_flight',
    'Requests a remote stage has sent over its link and not yet seen answered.',
    ['stage'],
    each((g: Gauge, stage, l) => {
      if (l.kind === 'remote') g.set({ stage }, l.inFlight);
    }),
  );
  counter(
    'swarmd_libchan_bytes_total',
    'DATA payload bytes (messages and byte streams) a listen or remote stage sent (out) and received (in) over its libchan sessions.',
    ['stage', 'direction'],
    each((c: Counter, stage, l) => {
      if (!l.traffic) return;
      c.inc({ stage, direction: 'in' }, l.traffic.bytesIn);
      c.inc({ stage, direction: 'out' }, l.traffic.bytesOut);
    }),
  );
  counter(
    'swarmd_libchan_messages_total',
    'Messages (requests, replies, nested channel messages) a listen or remote stage sent (out) and received (in) over its libchan sessions.',
    ['stage', 'direction'],
    each((c: Counter, stage, l) => {
      if (!l.traffic) return;
      c.inc({ stage, direction: 'in' }, l.traffic.messagesIn);
      c.inc({ stage, direction: 'out' }, l.traffic.messagesOut);
    }),
  );
  counter(
    'swarmd_libchan_credit_stalls_total',
    "Times a listen or remote stage's sending waited for the peer's credit (connection, channel or byte-stream window) or a full transport.",
    ['stage'],
    each((c: Counter, stage, l) => {
      if (l.traffic) c.inc({ stage }, l.traffic.creditStalls);
    }),
  );
}
