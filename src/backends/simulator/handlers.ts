/**
 * Docker ops → engine calls → replies. One function per op; errors thrown by the engine become
 * `error` replies with dockerd's status and text.
 * @module
 */
import type { Message } from '../../actors/message.js';
import { refuse } from '../../actors/reply.js';
import { type DockerArgs, replySet, replyStream, routeFor } from '../docker/api.js';
import { unmodelled } from '../docker/unmodelled.js';
import { websocketAttach } from './attach-ws.js';
import { isRunning } from './container.js';
import type { Engine } from './engine.js';
import { asEngineError, EngineError } from './engine-errors.js';
import { parseFilters } from './filters.js';
import { commandText, inspectDocument, listRow } from './format.js';
import { type HandlerTable, id, JSON_HEADERS, ok } from './handler-kit.js';
import { EXEC_HANDLERS } from './handlers-exec.js';
import { IMAGE_HANDLERS } from './handlers-images.js';
import { OBJECT_HANDLERS } from './handlers-objects.js';
import { imageInspect, imageRow } from './images.js';
import { imageImport } from './images-import.js';
import { imageListed } from './images-list.js';
import { parseListQuery, selectContainers } from './ps-filters.js';
import { attach, flag, logs, pull, wait } from './streams.js';
import { API_VERSION, diskUsageBody, infoBody, versionBody } from './system.js';

const CORE_HANDLERS: HandlerTable = {
  ping: (_e, m) =>
    replySet(m, { status: 200, body: 'OK', headers: { 'api-version': API_VERSION, ostype: 'linux' } }),
  version: (_e, m) => ok(m, versionBody()),
  info: (e, m) => ok(m, infoBody(e)),
  'system.df': (e, m) => ok(m, diskUsageBody(e)),
  events: (e, m, a) =>
    replyStream(m, { status: 200, mode: 'chunked', headers: JSON_HEADERS }, e.events.open(a.query, e.wall)),
  'container.list': (e, m, a) => {
    const q = parseListQuery(a.query);
    const now = e.wall.now();
    const rows: Record<string, unknown>[] = [];
    for (const c of selectContainers(e.containers.newestFirst(), q, (r) => e.containers.get(r))) {
      // One container that cannot be formatted is left out (and logged), never the whole list.
      try {
        rows.push(listRow(c, now, q.size));
      } catch (err) {
        e.log?.warn({ id: c.id, err }, 'simulator: container left out of the list: cannot format its row');
      }
    }
    ok(m, rows);
  },
  'container.create': (e, m, a) => ok(m, e.create(a.query, a.body), 201),
  'container.inspect': (e, m, a) => ok(m, inspectDocument(e.containers.get(id(a)))),
  'container.start': (e, m, a) => ok(m, undefined, e.start(id(a))),
  'container.stop': async (e, m, a) => ok(m, undefined, await e.stop(id(a), a.query.t)),
  'container.restart': async (e, m, a) => {
    await e.restart(id(a), a.query.t);
    ok(m, undefined, 204);
  },
  'container.kill': (e, m, a) => {
    e.kill(id(a), a.query.signal || 'KILL');
    ok(m, undefined, 204);
  },
  'container.remove': async (e, m, a) => {
    await e.remove(id(a), flag(a.query.force), flag(a.query.v));
    ok(m, undefined, 204);
  },
  'container.rename': (e, m, a) => {
    e.rename(id(a), a.query.name);
    ok(m, undefined, 204);
  },
  'container.pause': (e, m, a) => {
    e.pause(id(a), true);
    ok(m, undefined, 204);
  },
  'container.unpause': (e, m, a) => {
    e.pause(id(a), false);
    ok(m, undefined, 204);
  },
  'container.resize': (e, m, a) => {
    e.containers.get(id(a));
    ok(m, undefined, 200);
  },
  'container.wait': (e, m, a) =>
    replyStream(
      m,
      { status: 200, mode: 'chunked', headers: JSON_HEADERS },
      wait(e, id(a), a.query.condition),
    ),
  'container.attach': (e, m, a) => {
    if (routeFor(a.op, a.headers)?.answer === 'upgrade') {
      // GET /containers/{id}/attach/ws: a websocket, as dockerd speaks it there.
      const wire = m.stream;
      m.stream = undefined;
      try {
        const ws = websocketAttach(e, id(a), a.query, a.headers, wire);
        return replyStream(m, { status: 101, mode: 'raw-stream', headers: ws.headers }, ws.stream);
      } catch (err) {
        wire?.destroy();
        throw err;
      }
    }
    replyStream(
      m,
      { status: 101, mode: 'raw-stream', headers: { 'Content-Type': 'application/vnd.docker.raw-stream' } },
      attach(e, id(a), a.query, m.stream),
    );
  },
  'container.logs': (e, m, a) =>
    replyStream(m, { status: 200, mode: 'chunked', headers: {} }, logs(e, id(a), a.query)),
  'container.top': (e, m, a) => {
    const c = e.containers.get(id(a));
    if (!isRunning(c)) throw new EngineError(409, `Container ${c.id} is not running`);
    ok(m, {
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [['root', String(c.pid), String(c.pid - 20), '0', '00:00', '?', '00:00:00', commandText(c)]],
    });
  },
  'container.prune': (e, m) => {
    const deleted: string[] = [];
    for (const c of e.containers.newestFirst()) {
      if (isRunning(c)) continue;
      e.destroy(c);
      e.events.emit({ ...pruneEvent(e), Actor: { ID: '', Attributes: { reclaimed: '0' } } });
      deleted.push(c.id);
    }
    ok(m, { ContainersDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: 0 });
  },
  'image.list': (e, m, a) => {
    const containers = e.containers.newestFirst();
    const f = parseFilters(a.query.filters);
    const all = flag(a.query.all);
    ok(
      m,
      [...e.images.all].reverse().flatMap((i) => {
        const tags = imageListed(e, f, i, all);
        if (!tags) return [];
        const row = imageRow(i, containers.filter((c) => c.image === i).length);
        if (tags === i.tags || tags.length === 0) return [row];
        // A reference filter narrows the row to the names it matched (tags and digests).
        const repos = new Set(tags.map((t) => t.slice(0, t.lastIndexOf(':'))));
        const digests = (row.RepoDigests as string[]).filter((d) => repos.has(d.slice(0, d.indexOf('@'))));
        return [{ ...row, RepoTags: tags, RepoDigests: digests }];
      }),
    );
  },
  'image.inspect': (e, m, a) => {
    const ref = id(a);
    const image = e.images.resolve(ref);
    if (!image) {
      const full = ref.includes(':') ? ref : `${ref}:latest`;
      throw new EngineError(404, `no such image: ${ref}: No such image: ${full}`);
    }
    ok(m, imageInspect(image));
  },
  'image.create': async (e, m, a) => {
    if (a.query.fromImage || !a.query.fromSrc)
      return replyStream(m, { status: 200, mode: 'chunked', headers: JSON_HEADERS }, pull(e, a.query));
    // An import: the upload is this handler's to read (and to end), not the refusal's.
    const stream = m.stream;
    m.stream = undefined;
    const out = await imageImport(e, a.query, a.repeated, stream);
    replyStream(m, { status: 200, mode: 'chunked', headers: JSON_HEADERS }, out);
  },
};

/** Every op the simulator models; the route table answers the rest (handleDocker). */
const HANDLERS: HandlerTable = { ...CORE_HANDLERS, ...OBJECT_HANDLERS, ...IMAGE_HANDLERS, ...EXEC_HANDLERS };

function pruneEvent(e: Engine) {
  const now = e.wall.now();
  return {
    Type: 'container' as const,
    Action: 'prune',
    scope: 'local' as const,
    time: Math.floor(now / 1000),
    timeNano: Math.round(now * 1e6),
  };
}

/** True when `args` looks like Docker request args. */
function isDockerArgs(args: unknown): args is DockerArgs {
  return typeof args === 'object' && args !== null && typeof (args as DockerArgs).op === 'string';
}

/** Handles one request against `engine`; never throws (bad input becomes an `error` reply). */
export async function handleDocker(engine: Engine, m: Message): Promise<void> {
  try {
    if (!isDockerArgs(m.args))
      throw new EngineError(400, 'simulator: expected Docker request args {op, query}');
    const args = { ...m.args, query: m.args.query ?? {} };
    const h = HANDLERS[args.op];
    if (!h) {
      m.stream?.destroy();
      // The route table says how: a lookup of one object is a 404, anything else a 501 with a hint.
      const { status, message } = unmodelled(args, 'the simulator');
      throw new EngineError(status, message);
    }
    await h(engine, m as Message<DockerArgs>, args);
  } catch (err) {
    refuse(m, asEngineError(err));
  }
}
