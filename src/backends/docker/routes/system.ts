/**
 * The daemon itself: ping, version, info, events, disk usage, registry login, and BuildKit's session
 * upgrades (h2c), which pass through as raw byte pipes.
 * @module
 */
import { rowsOf } from './types.js';

/** The `X-Docker-Expose-Session-*` headers BuildKit's session carries (names, shared key, gRPC methods). */
const SESSION_HEADERS = [
  'upgrade',
  'x-docker-expose-session-uuid',
  'x-docker-expose-session-name',
  'x-docker-expose-session-sharedkey',
  'x-docker-expose-session-grpc-method',
] as const;

/** System routes. */
export const SYSTEM_ROUTES = rowsOf({ object: 'system', fanout: 'merge' }, [
  ['ping', 'SystemPing', 'GET', '/_ping', 'get', { fanout: 'ping' }],
  ['ping', 'SystemPingHead', 'HEAD', '/_ping', 'get', { fanout: 'ping' }],
  ['version', 'SystemVersion', 'GET', '/version', 'get'],
  ['info', 'SystemInfo', 'GET', '/info', 'get'],
  ['events', 'SystemEvents', 'GET', '/events', 'watch', { answer: 'stream' }],
  ['system.df', 'SystemDataUsage', 'GET', '/system/df', 'get'],
  ['auth', 'SystemAuth', 'POST', '/auth', 'set', { fanout: 'any', changes: false }],
]);

/** BuildKit's session and gRPC upgrades. */
export const SESSION_ROUTES = rowsOf({ object: 'session', fanout: 'any' }, [
  ['session', 'Session', 'POST', '/session', 'attach', { answer: 'upgrade', headers: SESSION_HEADERS }],
  [
    'session.grpc',
    null,
    'POST',
    '/grpc',
    'attach',
    {
      answer: 'upgrade',
      headers: ['upgrade'],
      note: "BuildKit's gRPC over h2c: dockerd 20.10 serves it (api/server/router/grpc) but the v1.41 spec does not list it",
    },
  ],
]);
