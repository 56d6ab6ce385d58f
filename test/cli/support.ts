import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';

/** A swarmd process started from bin/swarmd.js, with its stderr collected. */
export interface SwarmdProcess {
  proc: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code once it exits. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** This checkout's launcher. */
export const REPO_BIN = fileURLToPath(new URL('../../bin/swarmd.js', import.meta.url));

/**
 * Starts `bin/swarmd.js <args>` (or another launcher, e.g. an installed package's, in another directory)
 * and waits until every stage is up ("stages running").
 */
export async function startSwarmd(
  args: string[],
  timeoutMs = 20_000,
  as: { bin?: string; cwd?: string } = {},
): Promise<SwarmdProcess> {
  const proc = spawn(process.execPath, [as.bin ?? REPO_BIN, '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: as.cwd,
  });
  let err = '';
  proc.stderr?.on('data', (d) => (err += d));
  proc.stdout?.resume();
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const s: SwarmdProcess = {
    proc,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  await until(
    () => /stages? running/.test(err),
    timeoutMs,
    () => {
      if (proc.exitCode !== null) throw new Error(`swarmd exited ${proc.exitCode}:\n${err}`);
      return `swarmd did not start:\n${err}`;
    },
  );
  return s;
}

/** Polls `cond` every 50 ms until it holds; `why` explains (or throws) on timeout or on every poll. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  why: () => string = () => 'condition not met',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    const reason = why();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${reason}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const json = res.headers['content-type']?.includes('json') && text ? JSON.parse(text) : text;
        resolve({ status: res.statusCode ?? 0, body: json });
      });
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
