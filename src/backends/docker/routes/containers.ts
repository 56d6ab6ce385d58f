/**
 * Containers and exec instances. Paths take `{name*}` where dockerd's router takes `{name:.*}`: a
 * container "name" may hold a slash (`DELETE /containers/web/db?link=1` removes the link `db` of `web`).
 * @module
 */
import { rowsOf } from './types.js';

const STREAM = { answer: 'stream' } as const;

/** A websocket handshake's request headers: the upgrade passes through to the daemon as the client made it. */
const WEBSOCKET = [
  'upgrade',
  'origin',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
] as const;

/** Container routes, most specific first. */
export const CONTAINER_ROUTES = rowsOf({ object: 'container', fanout: 'container' }, [
  ['container.list', 'ContainerList', 'GET', '/containers/json', 'ls', { fanout: 'merge' }],
  ['container.create', 'ContainerCreate', 'POST', '/containers/create', 'spawn', { fanout: 'merge' }],
  ['container.prune', 'ContainerPrune', 'POST', '/containers/prune', 'prune', { fanout: 'merge' }],
  ['container.inspect', 'ContainerInspect', 'GET', '/containers/{name*}/json', 'get'],
  ['container.top', 'ContainerTop', 'GET', '/containers/{name*}/top', 'top'],
  ['container.logs', 'ContainerLogs', 'GET', '/containers/{name*}/logs', 'logs', STREAM],
  ['container.diff', 'ContainerChanges', 'GET', '/containers/{name*}/changes', 'get'],
  ['container.export', 'ContainerExport', 'GET', '/containers/{name*}/export', 'archive', STREAM],
  ['container.stats', 'ContainerStats', 'GET', '/containers/{name*}/stats', 'stats', STREAM],
  ['container.resize', 'ContainerResize', 'POST', '/containers/{name*}/resize', 'resize'],
  ['container.start', 'ContainerStart', 'POST', '/containers/{name*}/start', 'start'],
  ['container.stop', 'ContainerStop', 'POST', '/containers/{name*}/stop', 'stop', { grace: 'stop' }],
  [
    'container.restart',
    'ContainerRestart',
    'POST',
    '/containers/{name*}/restart',
    'restart',
    { grace: 'stop' },
  ],
  ['container.kill', 'ContainerKill', 'POST', '/containers/{name*}/kill', 'kill'],
  ['container.update', 'ContainerUpdate', 'POST', '/containers/{name*}/update', 'set'],
  ['container.rename', 'ContainerRename', 'POST', '/containers/{name*}/rename', 'rename'],
  ['container.pause', 'ContainerPause', 'POST', '/containers/{name*}/pause', 'pause'],
  ['container.unpause', 'ContainerUnpause', 'POST', '/containers/{name*}/unpause', 'unpause'],
  [
    'container.attach',
    'ContainerAttach',
    'POST',
    '/containers/{name*}/attach',
    'attach',
    { answer: 'hijack' },
  ],
  // The same operation over a websocket: one op (a policy that guards attach guards both), the row
  // chosen by the client's Upgrade (routeFor).
  [
    'container.attach',
    'ContainerAttachWebsocket',
    'GET',
    '/containers/{name*}/attach/ws',
    'attach',
    { answer: 'upgrade', changes: true, headers: WEBSOCKET },
  ],
  ['container.wait', 'ContainerWait', 'POST', '/containers/{name*}/wait', 'wait', STREAM],
  ['container.remove', 'ContainerDelete', 'DELETE', '/containers/{name*}', 'remove'],
  ['container.archive.stat', 'ContainerArchiveInfo', 'HEAD', '/containers/{name*}/archive', 'archive'],
  ['container.archive.get', 'ContainerArchive', 'GET', '/containers/{name*}/archive', 'archive', STREAM],
  [
    'container.archive.put',
    'PutContainerArchive',
    'PUT',
    '/containers/{name*}/archive',
    'archive',
    { body: 'upload', headers: ['content-type'] },
  ],
  ['container.exec', 'ContainerExec', 'POST', '/containers/{name*}/exec', 'exec'],
]);

/** Exec instance routes. */
export const EXEC_ROUTES = rowsOf({ object: 'exec', fanout: 'exec' }, [
  ['exec.start', 'ExecStart', 'POST', '/exec/{name*}/start', 'exec', { answer: 'hijack' }],
  ['exec.resize', 'ExecResize', 'POST', '/exec/{name*}/resize', 'resize'],
  ['exec.inspect', 'ExecInspect', 'GET', '/exec/{name*}/json', 'get'],
]);
