/**
 * Network and volume ops → engine state → replies (networks.ts, volumes.ts hold the rules).
 * @module
 */
import { isRunning } from './container.js';
import type { Engine } from './engine.js';
import { EngineError } from './engine-errors.js';
import { objectEvent } from './events.js';
import { parseFilters } from './filters.js';
import { type HandlerTable, id, ok } from './handler-kit.js';
import { treeBytes } from './images-ops.js';
import {
  activeEndpoints,
  connect,
  disconnect,
  endpointsIn,
  networkDocument,
  networkMatches,
  type SimNetwork,
} from './networks.js';
import { flag } from './streams.js';
import { type SimVolume, usersOf, volumeDocument, volumeInUse, volumeMatches } from './volumes.js';

function networkEvent(e: Engine, n: SimNetwork, action: string, extra: Record<string, string> = {}) {
  e.events.emit(
    objectEvent('network', n.id, action, { name: n.name, type: n.driver, ...extra }, e.wall.now()),
  );
}

function volumeEvent(e: Engine, v: SimVolume, action: string) {
  e.events.emit(objectEvent('volume', v.name, action, { driver: 'local' }, e.wall.now()));
}

function containerOf(body: unknown): string {
  const c = (body as { Container?: unknown } | undefined)?.Container;
  return typeof c === 'string' ? c : '';
}

/** Removes every user network no running container uses; returns their names. */
function pruneNetworks(e: Engine): string[] {
  const gone: string[] = [];
  for (const n of [...e.networks.all]) {
    if (n.predefined || endpointsIn(n, e.containers.newestFirst()).length > 0) continue;
    e.networks.delete(n);
    for (const c of e.containers.newestFirst())
      if (c.networks.get(n.name)?.network === n) c.networks.delete(n.name);
    networkEvent(e, n, 'destroy');
    gone.push(n.name);
  }
  return gone;
}

/** The network and volume handlers. */
export const OBJECT_HANDLERS: HandlerTable = {
  'network.list': (e, m, a) => {
    const f = parseFilters(a.query.filters);
    const containers = e.containers.newestFirst();
    const rows = e.networks.all
      .filter((n) => networkMatches(f, n, endpointsIn(n, containers).length > 0))
      .map((n) => networkDocument(n, containers, false));
    ok(m, rows);
  },
  'network.create': (e, m, a) => {
    const { network, warning } = e.networks.create(a.body, e.wall.now());
    networkEvent(e, network, 'create');
    ok(m, { Id: network.id, Warning: warning }, 201);
  },
  'network.inspect': (e, m, a) =>
    ok(m, networkDocument(e.networks.get(id(a)), e.containers.newestFirst(), true)),
  'network.remove': (e, m, a) => {
    const n = e.networks.get(id(a));
    if (n.predefined) throw new EngineError(403, `${n.name} is a pre-defined network and cannot be removed`);
    if (endpointsIn(n, e.containers.newestFirst()).length > 0) throw activeEndpoints(n);
    e.networks.delete(n);
    // Stopped containers forget it (dockerd: they fail to start later; the simulator just drops it).
    for (const c of e.containers.newestFirst())
      if (c.networks.get(n.name)?.network === n) c.networks.delete(n.name);
    networkEvent(e, n, 'destroy');
    ok(m, undefined, 204);
  },
  'network.connect': (e, m, a) => {
    const n = e.networks.get(id(a));
    const c = e.containers.get(containerOf(a.body));
    connect(n, c, (a.body as { EndpointConfig?: unknown }).EndpointConfig);
    c.netGen++;
    networkEvent(e, n, 'connect', { container: c.id });
    ok(m, undefined, 200);
  },
  'network.disconnect': (e, m, a) => {
    const n = e.networks.get(id(a));
    const c = e.containers.get(containerOf(a.body));
    disconnect(n, c);
    c.netGen++;
    if (isRunning(c)) networkEvent(e, n, 'disconnect', { container: c.id });
    ok(m, undefined, 200);
  },
  'network.prune': (e, m, a) => {
    const f = parseFilters(a.query.filters);
    for (const key of f.keys())
      if (key !== 'label' && key !== 'until') throw new EngineError(400, `Invalid filter '${key}'`);
    const gone = pruneNetworks(e);
    ok(m, { NetworksDeleted: gone.length > 0 ? gone : null });
  },
  'volume.list': (e, m, a) => {
    const f = parseFilters(a.query.filters);
    const containers = e.containers.newestFirst();
    const rows = e.volumes
      .all()
      .filter((v) => volumeMatches(f, v, usersOf(v, containers).length > 0))
      .map(volumeDocument);
    ok(m, { Volumes: rows, Warnings: null });
  },
  'volume.create': (e, m, a) => {
    const { volume, fresh } = e.volumes.create(a.body, e.wall.now());
    if (fresh) volumeEvent(e, volume, 'create');
    ok(m, volumeDocument(volume), 201);
  },
  'volume.inspect': (e, m, a) => ok(m, volumeDocument(e.volumes.get(id(a)))),
  'volume.remove': (e, m, a) => {
    const v = e.volumes.find(id(a));
    if (!v) {
      if (flag(a.query.force)) return ok(m, undefined, 204);
      e.volumes.get(id(a));
      return;
    }
    const users = usersOf(v, e.containers.newestFirst());
    if (users.length > 0) throw volumeInUse(v, users);
    e.volumes.delete(v);
    volumeEvent(e, v, 'destroy');
    ok(m, undefined, 204);
  },
  'volume.prune': (e, m, a) => {
    const f = parseFilters(a.query.filters);
    const containers = e.containers.newestFirst();
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of e.volumes.all()) {
      if (usersOf(v, containers).length > 0 || !volumeMatches(f, v, false)) continue;
      e.volumes.delete(v);
      volumeEvent(e, v, 'destroy');
      deleted.push(v.name);
      reclaimed += treeBytes(v.tree);
    }
    ok(m, { VolumesDeleted: deleted, SpaceReclaimed: reclaimed });
  },
};
