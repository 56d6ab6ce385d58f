/**
 * A client to one Docker daemon over unix, tcp or tls. Plain calls go through a bounded undici Pool
 * (keep-alive, at most `connections` sockets); hijacked calls (attach, exec start) take their own
 * node:http connection because an upgraded socket can never go back to a pool. The API version is
 * negotiated once (min(daemon's Api-Version, 1.41)); every call has a deadline on the injected clock.
 * @module
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import { Pool } from 'undici';
import { type Clock, systemClock } from '../../clock.js';
import { ConnectionLostError, DeadlineExceededError, ErrorCode, SwarmError } from '../../errors.js';
import { type EngineAddress, parseEngineAddress, type TlsFiles } from './engine-address.js';

/** The newest API version swarmd speaks (dockerd 20.10); a newer daemon is asked for this one. */
export const MAX_ENGINE_API = '1.41';

/** Options for {@link EngineClient}. */
export interface EngineClientOptions {
  /** `unix:///path`, `tcp://host:port` (or `https://…`). */
  address: string;
  /** Client certificates and CA; with `tls` set, tcp addresses use TLS. */
  tls?: TlsFiles;
  /** Most sockets kept to the daemon (default 8). */
  connections?: number;
  /** Deadline for every call, up to the response headers (streams) or the whole body (default 30 s). */
  timeoutMs?: number;
  clock?: Clock;
}

/** One call. `path` has no version prefix; `versioned: false` sends it as is (`/_ping`). */
export interface EngineRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  /** JSON (serialised here), raw bytes, or a stream (e.g. a tar for archive put). */
  body?: unknown;
  headers?: Record<string, string>;
  versioned?: boolean;
  timeoutMs?: number;
}

/** A response whose body is still streaming. Destroy `body` to abort the call. */
export interface EngineStream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** A complete response. `body` is parsed JSON when the daemon sent JSON, else the raw bytes. */
export interface EngineResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The result of a hijack: the raw duplex after `101`, or the plain answer the daemon gave instead. */
export type EngineHijack =
  | { upgraded: true; status: number; headers: Record<string, string>; socket: Duplex }
  | { upgraded: false; status: number; headers: Record<string, string>; body: unknown };

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function decodeBody(headers: Record<string, string>, bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  if ((headers['content-type'] ?? '').includes('json')) {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      // dockerd sometimes labels plain text as JSON; hand the bytes on rather than fail
    }
  }
  return bytes;
}

function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/** A client to one daemon. Create once per daemon; {@link close} releases every socket. */
export class EngineClient {
  readonly address: EngineAddress;
  readonly #opts: EngineClientOptions;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #pool: Pool;
  readonly #hijacked = new Set<Socket | ClientRequest>();
  #version: Promise<string> | undefined;
  #closed = false;

  constructor(opts: EngineClientOptions) {
    this.#opts = opts;
    this.address = parseEngineAddress(opts.address, opts.tls !== undefined);
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    const a = this.address;
    const tls = opts.tls;
    this.#pool = new Pool(
      a.kind === 'unix' ? 'http://localhost' : `${tls ? 'https' : 'http'}://${a.host}:${a.port}`,
      {
        connections: opts.connections ?? 8,
        keepAliveTimeout: 10_000,
        // Deadlines are ours (on the clock); a logs -f stream may be silent for hours.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: {
          ...(a.kind === 'unix' ? { socketPath: a.path } : {}),
          ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verify } : {}),
        },
      },
    );
  }

  /** The negotiated API version, asked once; a failed ask is retried by the next call. */
  version(): Promise<string> {
    this.#version ??= this.request({ method: 'GET', path: '/_ping', versioned: false })
      .then((r) => {
        const v = r.headers['api-version'];
        // Like the docker CLI: no header means the daemon predates negotiation, assume 1.24.
        if (!v || !/^\d+\.\d+$/.test(v)) return '1.24';
        return compareVersions(v, MAX_ENGINE_API) < 0 ? v : MAX_ENGINE_API;
      })
      .catch((err: unknown) => {
        this.#version = undefined;
        throw err;
      });
    return this.#version;
  }

  async #url(req: EngineRequest): Promise<string> {
    const prefix = req.versioned === false ? '' : `/v${await this.version()}`;
    const qs = new URLSearchParams(req.query ?? {}).toString();
    return `${prefix}${req.path}${qs ? `?${qs}` : ''}`;
  }

  /** Runs `fn` with a signal that aborts after the deadline; maps failures to typed errors. */
  async #deadline<T>(what: string, ms: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) throw new SwarmError(ErrorCode.Closed, `client to ${this.#opts.address} is closed`);
    const ac = new AbortController();
    // The error is built only when the deadline fires: capturing a stack on every call was ~4 % of a
    // pass-through request's CPU.
    const timer = this.#clock.setTimeout(() => ac.abort(), ms);
    try {
      return await fn(ac.signal);
    } catch (err) {
      if (ac.signal.aborted)
        throw new DeadlineExceededError(`${what}: no answer from ${this.#opts.address} within ${ms} ms`, {
          details: { address: this.#opts.address, timeoutMs: ms },
        });
      throw this.#lost(err);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }

  /** Socket, TLS and undici failures (they carry a `code`) mean the daemon could not be reached. */
  #lost(err: unknown): Error {
    if (err instanceof SwarmError) return err;
    const e = err as { code?: unknown; message?: string };
    // Anything else is a bug or bad input here, not the daemon's fault: pass it on as it is.
    if (typeof e?.code !== 'string') return err instanceof Error ? err : new Error(String(err));
    return new ConnectionLostError(
      `Cannot connect to the Docker daemon at ${this.#opts.address}: ${e.code}${e.message ? ` (${e.message})` : ''}`,
      { cause: err, details: { address: this.#opts.address } },
    );
  }

  /** Starts the call on the pool; resolves at the response headers. */
  async #send(req: EngineRequest, signal: AbortSignal) {
    const path = await this.#url(req);
    const hasBody = req.body !== undefined && req.body !== null;
    const isJson = hasBody && !Buffer.isBuffer(req.body) && typeof (req.body as Readable).pipe !== 'function';
    return this.#pool.request({
      method: req.method as 'GET',
      path,
      signal,
      headers: { ...(isJson ? { 'content-type': 'application/json' } : {}), ...req.headers },
      body: isJson ? JSON.stringify(req.body) : hasBody ? (req.body as Buffer | Readable) : undefined,
    });
  }

  /** One call; resolves at the response headers with the body still streaming. */
  request(req: EngineRequest): Promise<EngineStream> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path}`, ms, async (signal) => {
      const res = await this.#send(req, signal);
      return {
        status: res.statusCode,
        headers: flatHeaders(res.headers),
        body: res.body as unknown as Readable,
      };
    });
  }

  /** One call, body read completely under the same deadline (undici aborts the body on the signal). */
  call(req: EngineRequest): Promise<EngineResult> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path}`, ms, async (signal) => {
      const res = await this.#send(req, signal);
      const headers = flatHeaders(res.headers);
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers, body: decodeBody(headers, bytes) };
    });
  }

  /**
   * A hijacked call (attach, exec start): resolves with the raw socket after `101 UPGRADED` (the
   * deadline covers only the wait for it), or with the daemon's plain answer (errors, detached exec).
   */
  hijack(req: EngineRequest): Promise<EngineHijack> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path} (hijack)`, ms, async (signal) => {
      const path = await this.#url(req);
      const body = Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body));
      const a = this.address;
      const tls = this.#opts.tls;
      const where =
        a.kind === 'unix'
          ? { socketPath: a.path }
          : { host: a.host, port: a.port, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) };
      const send = a.kind === 'tcp' && tls ? httpsRequest : httpRequest;
      return new Promise<EngineHijack>((resolve, reject) => {
        const r = send({
          ...where,
          ...(tls ? { rejectUnauthorized: tls.verify } : {}),
          method: req.method,
          path,
          agent: false,
          signal,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': String(body.length),
            Connection: 'Upgrade',
            Upgrade: 'tcp',
            ...req.headers,
          },
        });
        this.#hijacked.add(r);
        r.once('close', () => this.#hijacked.delete(r));
        r.once('error', reject);
        r.once('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
          this.#hijacked.add(socket);
          socket.once('close', () => this.#hijacked.delete(socket));
          if (head.length > 0) socket.unshift(head);
          resolve({
            upgraded: true,
            status: res.statusCode ?? 101,
            headers: flatHeaders(res.headers),
            socket,
          });
        });
        r.once('response', (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('error', reject);
          res.once('end', () => {
            const headers = flatHeaders(res.headers);
            resolve({
              upgraded: false,
              status: res.statusCode ?? 500,
              headers,
              body: decodeBody(headers, Buffer.concat(chunks)),
            });
          });
        });
        r.end(body);
      });
    });
  }

  /** Closes every pooled and hijacked socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#hijacked) s.destroy();
    this.#hijacked.clear();
    await this.#pool.destroy();
  }
}
