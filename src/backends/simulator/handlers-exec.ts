/**
 * Exec ops and the container ops beyond the lifecycle (diff, export, update) → engine → replies.
 * @module
 */
import { replyStream } from '../docker/api.js';
import { containerDiff, containerExport, containerUpdate } from './container-ops.js';
import { execCreate, execInspect, execResize, execStart } from './exec.js';
import { type HandlerTable, id, ok } from './handler-kit.js';

const RAW = { 'Content-Type': 'application/vnd.docker.raw-stream' };

/** The exec handlers and container diff/export/update. */
export const EXEC_HANDLERS: HandlerTable = {
  'container.exec': (e, m, a) => ok(m, execCreate(e, id(a), a.body), 201),
  'exec.start': (e, m, a) => {
    const stdin = m.stream;
    m.stream = undefined;
    let out: ReturnType<typeof execStart>;
    try {
      out = execStart(e, id(a), a.body, stdin);
    } catch (err) {
      stdin?.destroy();
      throw err;
    }
    if (out) replyStream(m, { status: 101, mode: 'raw-stream', headers: RAW }, out);
    else ok(m, undefined, 200);
  },
  'exec.inspect': (e, m, a) => ok(m, execInspect(e.execs.get(id(a)))),
  'exec.resize': (e, m, a) => {
    execResize(e, id(a), a.query);
    ok(m, undefined, 200);
  },
  'container.diff': (e, m, a) => ok(m, containerDiff(e.containers.get(id(a)))),
  'container.export': (e, m, a) =>
    replyStream(
      m,
      { status: 200, mode: 'chunked', headers: { 'Content-Type': 'application/x-tar' } },
      containerExport(e, e.containers.get(id(a))),
    ),
  'container.update': (e, m, a) => ok(m, containerUpdate(e, e.containers.get(id(a)), a.body)),
};
