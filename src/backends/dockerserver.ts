/**
 * dockerserver: the Docker front door. Serves the Docker Engine API (node:http, unix socket or TCP,
 * optionally TLS) so the unmodified docker CLI can talk to a chain, and forwards every API call as a
 * `Message<DockerArgs>` to the next stage, writing its answer back: JSON for `set`, a flushed chunked
 * stream or a 101-upgraded raw stream for `ack`, Docker-style JSON for `error`.
 * @module
 */
import { chmod, unlink } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Message } from '../actors/message.js';
import { ErrorCode } from '../errors.js';
import type { DockerArgs } from './docker/api.js';
import { DEFAULT_JSON_BODY_LIMIT, parseJsonBody, readJsonBody } from './docker/http-body.js';
import { errorBody, type HttpError, JSON_CONTENT_TYPE, writeHttpError } from './docker/http-errors.js';
import { type ForwardResult, type ForwardTarget, forwardRequest } from './docker/http-forward.js';
import { pipeHijacked, takeHijackedRequest, writeRawResponse } from './docker/http-hijack.js';
import {
  clearStaleSocket,
  DOCKERSERVER_USAGE,
  formatAddress,
  type ListenAddress,
  listenOn,
  parseServerArgs,
  type ServerOptions,
} from './docker/http-listen.js';
import {
  isApiVersion,
  isHttpError,
  MAX_API_VERSION,
  type MatchedRoute,
  matchRoute,
  minApiVersion,
} from './docker/http-router.js';
import { writeChunkedStream, writeSetReply } from './docker/http-streams.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

/** How long the one version ping to the next stage may take before we fall back to 1.41. */
const PING_TIMEOUT_MS = 5_000;

/** A running dockerserver. Exported for tests and for swarmd's startup line. */
export class DockerServer implements StageInstance {
  readonly #opts: ServerOptions;
  readonly #ctx: StageContext;
  readonly #target: ForwardTarget;
  #server: Server | undefined;
  #listening: ListenAddress | undefined;
  readonly #hijacked = new Set<Socket>();
  #version: string | undefined;
  #versionAsk: Promise<string> | undefined;

  constructor(opts: ServerOptions, ctx: StageContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#target = { name: ctx.name, downstream: ctx.downstream, clock: ctx.clock };
  }

  /** The address actually listened on (the real port when 0 was asked for). */
  get address(): ListenAddress | undefined {
    return this.#listening;
  }

  describe(): string {
    const where = formatAddress(this.#listening ?? this.#opts.address);
    return `serving Docker API on ${where}${this.#opts.tls ? ' (TLS)' : ''}; try: docker -H ${where} version`;
  }

  /** Requests from an upstream stage pass straight through to the next one. */
  handle(message: Message): void | Promise<void> {
    if (this.#ctx.downstream) return this.#ctx.downstream.send(message);
    message.stream?.destroy();
    void message.ret?.send({
      verb: 'error',
      args: { message: `${this.#ctx.name} has no next stage`, code: ErrorCode.NotImplemented, status: 501 },
    });
    message.ret?.close();
  }

  async start(): Promise<void> {
    const { tls, address } = this.#opts;
    // Half-open sockets are required for hijacked streams (docker-cli-wire.md §3.2, §5.4).
    const server = tls
      ? createHttpsServer({
          allowHalfOpen: true,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          requestCert: tls.verify,
          rejectUnauthorized: tls.verify,
        })
      : createHttpServer();
    server.on('request', (req, res) => void this.#onRequest(req, res));
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void this.#onUpgrade(req, socket, head),
    );
    server.on('clientError', (_err, socket: Socket) => {
      if (socket.writable)
        writeRawResponse(
          socket,
          400,
          { 'Content-Type': JSON_CONTENT_TYPE },
          Buffer.from(errorBody('malformed HTTP request')),
        );
      else socket.destroy();
    });
    if (address.kind === 'unix') await clearStaleSocket(address.path);
    await listenOn(server, address);
    this.#server = server;
    if (address.kind === 'unix') {
      await chmod(address.path, 0o660);
      this.#listening = address;
    } else {
      const info = server.address() as AddressInfo;
      this.#listening = { kind: 'tcp', host: address.host, port: info.port };
    }
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.#hijacked) socket.destroy();
    await closed;
    if (this.#listening?.kind === 'unix') await unlink(this.#listening.path).catch(() => {});
  }

  /** Headers dockerd puts on every answer. */
  #baseHeaders(version: string): Record<string, string> {
    return {
      'Api-Version': version,
      Ostype: 'linux',
      'Docker-Experimental': 'false',
      Server: 'swarmd (linux)',
    };
  }

  /** The API version to report: the next stage's (asked once, cached), never above 1.41. */
  async #reportedVersion(): Promise<string> {
    if (this.#version) return this.#version;
    this.#versionAsk ??= (async () => {
      const fwd = forwardRequest(this.#target, 'get', { op: 'ping', query: {} }, PING_TIMEOUT_MS);
      const res = await fwd.result;
      const headers = res.kind === 'set' ? (res.result.headers ?? {}) : {};
      const found = Object.entries(headers).find(([k]) => k.toLowerCase() === 'api-version')?.[1];
      if (isApiVersion(found)) {
        this.#version = minApiVersion(found, MAX_API_VERSION);
        return this.#version;
      }
      // Not cached: the next stage may just be starting; ask again on the next request.
      this.#ctx.log.warn(
        { reply: res.kind },
        'next stage gave no API version; reporting %s',
        MAX_API_VERSION,
      );
      return MAX_API_VERSION;
    })().finally(() => {
      this.#versionAsk = undefined;
    });
    return this.#versionAsk;
  }

  #pingHeaders(version: string): Record<string, string> {
    return {
      ...this.#baseHeaders(version),
      'Cache-Control': 'no-cache, no-store, must-revalidate',
      Pragma: 'no-cache',
      'Content-Type': 'text/plain; charset=utf-8',
    };
  }

  #timeoutMs(match: MatchedRoute): number {
    const grace =
      match.route.op === 'container.stop' || match.route.op === 'container.restart'
        ? Number(match.query.t)
        : 0;
    return (this.#opts.timeoutSeconds + (Number.isFinite(grace) && grace > 0 ? grace : 0)) * 1000;
  }

  #args(match: MatchedRoute, body: unknown): DockerArgs {
    const args: DockerArgs = { op: match.route.op, query: match.query };
    if (match.id !== undefined) args.id = match.id;
    if (body !== undefined) args.body = body;
    return args;
  }

  async #onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const version = await this.#reportedVersion();
      const base = this.#baseHeaders(version);
      const match = matchRoute(req.method ?? '', req.url ?? '/', version);
      if (isHttpError(match)) return writeHttpError(res, match, base);
      if (match.route.op === 'ping') {
        res.writeHead(200, { ...this.#pingHeaders(version), 'Content-Length': 2 });
        return void res.end(req.method === 'HEAD' ? undefined : 'OK');
      }
      let body: unknown;
      let upload: PassThrough | undefined;
      if (match.route.op === 'container.archive.put') {
        upload = new PassThrough();
        req.pipe(upload);
      } else {
        const parsed = await readJsonBody(req, DEFAULT_JSON_BODY_LIMIT);
        if (!parsed.ok) {
          const close: Record<string, string> = parsed.error.status === 413 ? { Connection: 'close' } : {};
          return writeHttpError(res, parsed.error, { ...base, ...close });
        }
        body = parsed.body;
      }
      const fwd = forwardRequest(
        this.#target,
        match.route.verb,
        this.#args(match, body),
        this.#timeoutMs(match),
        upload,
      );
      res.once('close', () => {
        if (!res.writableFinished) fwd.cancel();
      });
      this.#writeResult(res, await fwd.result, base);
    } catch (err) {
      this.#ctx.log.error({ err }, 'dockerserver request failed');
      writeHttpError(res, { status: 500, message: `${this.#ctx.name}: ${(err as Error).message}` });
    }
  }

  #writeResult(res: ServerResponse, out: ForwardResult, base: Record<string, string>): void {
    if (out.kind === 'cancelled') return;
    if (res.destroyed) {
      if (out.kind === 'stream') out.stream.destroy();
      return;
    }
    if (out.kind === 'error') writeHttpError(res, out.error, base);
    else if (out.kind === 'set') writeSetReply(res, out.result, base);
    // A raw stream without an upgrade (a client that did not ask for one) is sent as a plain body.
    else writeChunkedStream(res, out.result, out.stream, base);
  }

  async #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.allowHalfOpen = true;
    this.#hijacked.add(socket);
    socket.on('error', () => socket.destroy());
    socket.once('close', () => this.#hijacked.delete(socket));
    const fail = (base: Record<string, string>, err: HttpError) => {
      writeRawResponse(
        socket,
        err.status,
        { ...base, 'Content-Type': JSON_CONTENT_TYPE },
        Buffer.from(errorBody(err.message)),
      );
    };
    try {
      const version = await this.#reportedVersion();
      const base = this.#baseHeaders(version);
      const match = matchRoute(req.method ?? '', req.url ?? '/', version);
      if (isHttpError(match)) return fail(base, match);
      if (req.headers['transfer-encoding'])
        return fail(base, {
          status: 400,
          message: 'chunked bodies are not supported on upgrade requests; send Content-Length',
        });
      const length = Number(req.headers['content-length'] ?? 0);
      if (!Number.isSafeInteger(length) || length < 0)
        return fail(base, { status: 400, message: 'invalid Content-Length' });
      const taken = await takeHijackedRequest(socket, head, length, DEFAULT_JSON_BODY_LIMIT);
      if ('status' in taken) return fail(base, taken);
      const parsed = parseJsonBody(taken.body);
      if (!parsed.ok) return fail(base, parsed.error);
      const fwd = forwardRequest(
        this.#target,
        match.route.verb,
        this.#args(match, parsed.body),
        this.#timeoutMs(match),
        taken.stdin,
      );
      socket.once('close', () => fwd.cancel());
      const out = await fwd.result;
      if (out.kind === 'cancelled') return;
      if (socket.destroyed) {
        if (out.kind === 'stream') out.stream.destroy();
        return;
      }
      if (out.kind === 'error') return fail(base, out.error);
      if (out.kind === 'set') {
        taken.stdin.destroy();
        const body =
          out.result.body === undefined ? undefined : Buffer.from(`${JSON.stringify(out.result.body)}\n`);
        const type: Record<string, string> = body ? { 'Content-Type': JSON_CONTENT_TYPE } : {};
        return writeRawResponse(socket, out.result.status, { ...base, ...out.result.headers, ...type }, body);
      }
      pipeHijacked(socket, out.result, out.stream, base);
    } catch (err) {
      this.#ctx.log.error({ err }, 'dockerserver upgrade failed');
      fail({}, { status: 500, message: `${this.#ctx.name}: ${(err as Error).message}` });
    }
  }
}

/** The `dockerserver` stage: the Docker Engine API in front of a chain. */
export const dockerserverStage: StageDefinition = {
  name: 'dockerserver',
  summary: 'Serve the Docker Engine API (for the docker CLI) and forward every call to the next stage',
  usage: DOCKERSERVER_USAGE,
  example: 'dockerserver tcp://127.0.0.1:2375',
  help: [
    'Listens on a unix socket (default $XDG_RUNTIME_DIR/swarmd.sock or /tmp/swarmd-<uid>.sock) or tcp://host:port.',
    'Plain TCP is only allowed on loopback unless --insecure; with --tlscert/--tlskey it serves HTTPS, and',
    '--tlsverify requires client certificates signed by --tlscacert (like dockerd).',
    'Reports the API version of the next stage (at most 1.41). Requests that get no answer within',
    '--timeout seconds (default 120; stop/restart add their t) fail with 504 naming this stage.',
    'A stale unix socket file is replaced only when nothing answers on it.',
  ].join('\n'),
  create(args: string[], ctx: StageContext): StageInstance {
    return new DockerServer(parseServerArgs(args), ctx);
  },
};
