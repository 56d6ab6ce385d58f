/**
 * `swarmd authz-plugin`: the policy's rules for dockerd's own socket. Serves Docker's authorization
 * plugin protocol (`/Plugin.Activate`, `/AuthZPlugin.AuthZReq`, `/AuthZPlugin.AuthZRes`) on
 * `<dir>/<name>.sock`, so `dockerd --authorization-plugin=<name>` asks it about every request. The
 * request line is read as dockerd's router reads it (decoded, cleaned, any version prefix) and the
 * body with Go's decoding; a create, exec, volume or network request whose body dockerd did not show
 * (not `application/json`, over 1 MiB, `Content-Length: 0` with bytes behind it) is denied.
 * The policy's `--own` is refused here at start ({@link OWN_IMPOSSIBLE}): the protocol can only allow or
 * deny, and ownership needs requests and answers rewritten.
 * @module
 */
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { decide, denialMessage } from '../backends/policy/decide.js';
import { type PolicyOptions, parsePolicyArgs } from '../backends/policy/options.js';
import { matchRawRequest } from '../backends/policy/routes.js';
import { parseStageArgs } from '../backends/stage-args.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { TextSink } from './main.js';

/** The usage line. */
export const AUTHZ_USAGE =
  'swarmd authz-plugin [--name NAME] [--dir /run/docker/plugins] [--profile P] [--rules FILE] [--dry-run]';

const PLUGIN_TYPE = 'application/vnd.docker.plugins.v1.2+json';

/**
 * Why `--own` (and `--identity`, which only serves it) cannot be had in plugin mode. dockerd asks an
 * AuthZ plugin allow-or-deny and never lets it change a request or an answer, so: no owner label can be
 * put on a create (denying creates without the label would make every client spell it, and the label
 * would then be whatever the client claims); `docker ps`, events and `system df` cannot be filtered,
 * so every client would still see every container; and the one identity dockerd gives a plugin
 * (`User`, a TLS client certificate's CN) is empty on the unix socket. A half that hides nothing
 * would be worse than a clear no.
 */
export const OWN_IMPOSSIBLE =
  "authz-plugin: --own is not possible here: Docker's AuthZ protocol lets a plugin allow or deny a request, " +
  'never rewrite it or its answer, so created containers cannot be labelled with their owner and `docker ps` ' +
  'cannot be filtered (every client would still see every container). For per-client containers run the ' +
  "chain in front of dockerd instead: swarmd 'dockerserver … --identity NAME' 'policy --own' " +
  "'dockerclient unix:///var/run/docker.sock' (or --tlsverify for one identity per client certificate)";

/** dockerd's AuthZReq body (moby pkg/authorization). */
interface AuthZRequest {
  User?: string;
  RequestMethod?: string;
  /** dockerd spells it `RequestUri` (json tag); read both, as Go's decoder would. */
  RequestUri?: string;
  RequestURI?: string;
  /** base64 in JSON ([]byte). */
  RequestBody?: string | null;
}

/** The answer to one AuthZReq. */
export function authorize(req: AuthZRequest, opts: PolicyOptions): { Allow: boolean; Msg?: string } {
  const method = req.RequestMethod ?? '';
  const match = matchRawRequest(method, req.RequestUri ?? req.RequestURI ?? '/');
  const op = match.op ?? `${method} ${match.path}`;
  const body = req.RequestBody ? Buffer.from(req.RequestBody, 'base64') : undefined;
  const request = {
    op,
    query: match.query,
    ...(match.id !== undefined ? { id: match.id } : {}),
    ...(body ? { body } : {}),
  };
  const verdict = decide(request, opts.config);
  if (verdict.allow) return { Allow: true };
  const Msg = denialMessage(op, verdict, opts.config);
  return opts.dryRun ? { Allow: true, Msg: `dry run: would deny ${Msg}` } : { Allow: false, Msg };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}

/** A running plugin server. */
export interface AuthzPlugin {
  socket: string;
  close(): Promise<void>;
}

/** Starts the plugin's server for `args` (the policy's options plus `--name`, `--dir`). */
export async function startAuthzPlugin(
  args: readonly string[],
  log = pino({ level: 'info' }, pino.destination(2)),
): Promise<AuthzPlugin> {
  const { values, positionals } = parseStageArgs(
    'authz-plugin',
    args,
    {
      name: { type: 'string' },
      dir: { type: 'string' },
      profile: { type: 'string' },
      rules: { type: 'string' },
      'dry-run': { type: 'boolean' },
      // parsed only to be refused with the reason (an unknown option error would not say why)
      own: { type: 'boolean' },
      identity: { type: 'string' },
    },
    `usage: ${AUTHZ_USAGE}`,
  );
  if (values.own || values.identity !== undefined)
    throw new SwarmError(ErrorCode.InvalidArgument, OWN_IMPOSSIBLE);
  if (positionals.length)
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `authz-plugin: unexpected argument ${positionals[0]}; usage: ${AUTHZ_USAGE}`,
    );
  const name = values.name ?? 'swarmd-policy';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `authz-plugin: --name ${name}: letters, digits, . _ - only`,
    );
  const policyArgs = [
    ...(values.profile ? ['--profile', values.profile] : []),
    ...(values.rules ? ['--rules', values.rules] : []),
    ...(values['dry-run'] ? ['--dry-run'] : []),
  ];
  const opts = parsePolicyArgs(policyArgs);
  const dir = values.dir ?? '/run/docker/plugins';
  const socket = join(dir, `${name}.sock`);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const answer = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': PLUGIN_TYPE, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    readJson(req).then(
      (body) => {
        if (req.url === '/Plugin.Activate') return answer(200, { Implements: ['authz'] });
        if (req.url === '/AuthZPlugin.AuthZRes') return answer(200, { Allow: true });
        if (req.url !== '/AuthZPlugin.AuthZReq')
          return answer(404, { Err: `unknown plugin call ${req.url}` });
        const r = body as AuthZRequest;
        const out = authorize(r, opts);
        if (out.Msg)
          log[out.Allow ? 'warn' : 'info'](
            { user: r.User, method: r.RequestMethod, uri: r.RequestURI },
            out.Msg,
          );
        return answer(200, out);
      },
      (err: Error) => answer(400, { Err: `the plugin request is not JSON: ${err.message}` }),
    );
  });
  await mkdir(dir, { recursive: true });
  await unlink(socket).catch(() => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket, () => resolve());
  });
  // dockerd runs as root; nobody else may answer in its place or read what it asks.
  await chmod(socket, 0o600);
  return {
    socket,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await unlink(socket).catch(() => {});
    },
  };
}

/** `swarmd authz-plugin …`: runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runAuthzPlugin(args: readonly string[], err: TextSink): Promise<number> {
  let plugin: AuthzPlugin;
  try {
    plugin = await startAuthzPlugin(args);
  } catch (e) {
    err.write(`swarmd: ${(e as Error).message}\n`);
    return e instanceof SwarmError && e.code === ErrorCode.InvalidArgument ? 2 : 1;
  }
  err.write(
    `swarmd: authz plugin on ${plugin.socket}; start dockerd with --authorization-plugin=${plugin.socket
      .split('/')
      .pop()
      ?.replace(/\.sock$/, '')}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await plugin.close();
  return 0;
}
