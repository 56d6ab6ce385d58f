/**
 * dockerserver: the Docker front door. Serves the Docker Engine API (node:http, unix socket or TCP,
 * optionally TLS) so the unmodified docker CLI can talk to a chain, and forwards every API call as a
 * `Message<DockerArgs>` to the next stage, writing its answer back: JSON for `set`, a flushed chunked
 * stream or a 101-upgraded raw stream for `ack`, Docker-style JSON for `error`.
 * @module
 */
import { chmod, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Message } from '../actors/message.js';
import { refuse } from '../actors/reply.js';
import { ErrorCode, SwarmError } from '../errors.js';
import { DEFAULT_JSON_BODY_LIMIT } from './docker/http-body.js';
import { handleClientErrors } from './docker/http-client-error.js';
import type { Edge } from './docker/http-edge.js';
import { type ForwardTarget, forwardRequest } from './docker/http-forward.js';
import { capConnections, checkingIntervalMs, UpgradeGate } from './docker/http-limits.js';
import {
  clearStaleSocket,
  DOCKERSERVER_USAGE,
  formatAddress,
  type ListenAddress,
  listenOn,
  parseServerArgs,
  type ServerOptions,
} from './docker/http-listen.js';
import { handleRequest } from './docker/http-request.js';
import { isApiVersion, MAX_API_VERSION, minApiVersion } from './docker/http-router.js';
import { handleUpgrade } from './docker/http-upgrade.js';
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
  #uncap: (() => void) | undefined;

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
    const id = this.#opts.identity;
    const who = !id
      ? ''
      : id.kind === 'fixed'
        ? `, clients are ${id.name}`
        : ', clients named by their certificate CN';
    return `serving Docker API on ${where}${this.#opts.tls ? ' (TLS)' : ''}${who}; try: docker -H ${where} version`;
  }

  /** Requests from an upstream stage pass straight through to the next one. */
  handle(message: Message): void | Promise<void> {
    if (this.#ctx.downstream) return this.#ctx.downstream.send(message);
    refuse(
      message,
      new SwarmError(ErrorCode.NotImplemented, `${this.#ctx.name} has no next stage`, {
        details: { status: 501 },
      }),
    );
  }

  async start(): Promise<void> {
    const { tls, address, limits } = this.#opts;
    // node's own deadlines for plain requests (an upgraded request gets the same in http-upgrade.ts),
    // checked often enough for short configured deadlines to hold.
    const deadlines = {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(limits),
    };
    // Half-open sockets are required for hijacked streams (docker-cli-wire.md §3.2, §5.4).
    const server = tls
      ? createHttpsServer({
          ...deadlines,
          allowHalfOpen: true,
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca,
          requestCert: tls.verify,
          rejectUnauthorized: tls.verify,
        })
      : createHttpServer(deadlines);
    const edge: Edge = {
      target: this.#target,
      log: this.#ctx.log,
      timeoutSeconds: this.#opts.timeoutSeconds,
      bodyLimit: DEFAULT_JSON_BODY_LIMIT,
      limits,
      upgrades: new UpgradeGate(limits.maxPendingUpgrades),
      version: () => this.version(),
      ...(this.#opts.identity ? { identity: this.#opts.identity } : {}),
    };
    handleClientErrors(server, this.#ctx.clock, (req, res) => void handleRequest(edge, req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      // Upgraded sockets leave node:http's bookkeeping; track them so stop() can end them.
      this.#hijacked.add(socket);
      socket.once('close', () => this.#hijacked.delete(socket));
      void handleUpgrade(edge, req, socket, head);
    });
    this.#uncap = capConnections(server, limits, this.#ctx.log, this.#ctx.clock);
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
    this.#uncap?.();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.#hijacked) socket.destroy();
    await closed;
    if (this.#listening?.kind === 'unix') await unlink(this.#listening.path).catch(() => {});
  }

  /** The API version to report: the next stage's (asked once, cached), never above 1.41. */
  version(): Promise<string> {
    if (this.#version) return Promise.resolve(this.#version);
    this.#versionAsk ??= (async () => {
      const fwd = forwardRequest(this.#target, 'get', { op: 'ping', query: {} }, PING_TIMEOUT_MS);
      const res = await fwd.result;
      const headers = res.kind === 'set' ? (res.result.headers ?? {}) : {};
      const found = Object.entries(headers).find(([k]) => k.toLowerCase() === 'api-version')?.[1];
      if (isApiVersion(found)) {
        this.#version = minApiVersion(found, MAX_API_VERSION);
        return this.#version;
      }
      // A stage that answered without a version is alive and just has none: remember 1.41. One
      // that did not answer (timeout, no downstream) is asked again on the next request.
      if (res.kind === 'set' || (res.kind === 'error' && res.error.status !== 504))
        this.#version = MAX_API_VERSION;
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
    '--identity NAME names every client of this listener NAME; with --tlsverify each client is named by the CN',
    'of its verified certificate instead. The name travels with each request (never from its headers) and',
    "the policy stage's --own keeps each name to its own containers.",
    'Reports the API version of the next stage (at most 1.41). Requests that get no answer within',
    '--timeout seconds (default 120; stop/restart add their t) fail with 504 naming this stage.',
    'A stale unix socket file is replaced only when nothing answers on it.',
    'At most --max-connections (default 1024) connections are open at once; more are closed at once. Headers',
    'must arrive within --header-timeout (60 s) and a whole request, an attach/exec body included, within',
    '--request-timeout (300 s): 408 after that. At most --max-pending-upgrades (64) attach/exec requests may',
    'be waiting for their body at once (503 beyond).',
    'Every Engine API v1.41 operation is forwarded (builds, image load and archive uploads stream up as they',
    'come; BuildKit session and websocket upgrades pass through); a next stage that does not model one says so.',
  ].join('\n'),
  create(args: string[], ctx: StageContext): StageInstance {
    return new DockerServer(parseServerArgs(args), ctx);
  },
};
