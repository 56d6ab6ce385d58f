import { request } from 'node:http';
import { text } from 'node:stream/consumers';

/** Re-exported for test/package (the installed package's launcher); other tests import test/harness. */
export { type SwarmdProcess, startSwarmd } from '../harness/swarmd.js';

/** One Docker API call over a unix socket; the body is sent and parsed as JSON. */
export function dockerApi(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = data ? { 'Content-Type': 'application/json' } : {};
    const req = request({ socketPath, method, path, headers }, (res) => {
      text(res)
        .then((t) => {
          const json = res.headers['content-type']?.includes('json') && t ? JSON.parse(t) : t;
          resolve({ status: res.statusCode ?? 0, body: json });
        })
        .catch(reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * A stage module that adds `key=value` (its argument) to the labels of every container created
 * through it: the user stage of issue 13. `header` is prepended (e.g. the import of defineStage).
 */
export function stampModule(header = '', wrap = (definition: string) => definition): string {
  return `${header}
export default ${wrap(`{
  name: 'stamp', summary: 'adds a label to every container it creates', usage: 'stamp key=value',
  example: 'stamp team=blue',
  create(args, ctx) {
    const [k, v] = (args[0] ?? 'stamped=yes').split('=');
    return { handle(message) {
      const a = message.args;
      if (a && a.op === 'container.create') {
        let body = a.body;
        if (body instanceof Uint8Array) body = JSON.parse(Buffer.from(body).toString());
        body = { ...(body ?? {}), Labels: { ...(body?.Labels ?? {}), [k]: v } };
        message = { ...message, args: { ...a, body } };
      }
      return ctx.downstream.send(message);
    } };
  },
}`)};
`;
}

/** Creates a container through the chain on `sock` and returns its labels as the back end stored them. */
export async function labelsOfNewContainer(sock: string): Promise<Record<string, string>> {
  const created = await dockerApi(sock, 'POST', '/containers/create', {
    Image: 'busybox:local',
    Cmd: ['true'],
    Labels: { mine: 'kept' },
  });
  if (created.status !== 201)
    throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`);
  const id = (created.body as { Id: string }).Id;
  const inspect = await dockerApi(sock, 'GET', `/containers/${id}/json`);
  return (inspect.body as { Config: { Labels: Record<string, string> } }).Config.Labels;
}
