/**
 * A client to one Docker daemon over unix, tcp or tls, with two explicit connection budgets:
 * - `connections` (default 8): an undici Pool with keep-alive for calls that answer and finish
 *   (ps, inspect, create, start…). Only these share sockets.
 * - `streams` (default 128): calls whose answer is a long-lived stream (wait, events, logs, stats,
 *   archive get, image create) and hijacked calls (attach, exec start) each hold their own socket for as
 *   long as the stream lives, up to this many at once; one more is refused with
 *   `SWARM_ERR_LIMIT_REACHED` rather than queued. They must not share the pool: a `docker events` or an
 *   attach can stay open for hours, and 8 of them in a shared pool of 8 starved every other call
 *   (`docker ps` hung behind 8 open `docker events`). An upgraded socket can never return to a pool.
 * So at most `connections + streams` sockets are open to one daemon. The API version is negotiated
 * once (min(daemon's Api-Version, 1.41)); every call has a deadline on the injected clock.
 * @module
 */
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import { type Clock, systemClock } from '../../clock.js';
import { ConnectionLostError, DeadlineExceededError, ErrorCode, SwarmError } from '../../errors.js';
import { type EngineAddress, parseEngineAddress, type TlsFiles } from './engine-address.js';
import { decodeBody, type EngineHijack, flatHeaders, openHijack, openStream } from './engine-direct.js';

export type { EngineHijack } from './engine-direct.js';

/** Default size of the keep-alive pool for plain calls. */
export const DEFAULT_CONNECTIONS = 8;
/** Default most long-lived streams (streamed answers + hijacks) open to one daemon at once. */
export const DEFAULT_STREAMS = 128;

/** The newest API version swarmd speaks (dockerd 20.10); a newer daemon is asked for this one. */
export const MAX_ENGINE_API = '1.41';

/** Options for {@link EngineClient}. */
export interface EngineClientOptions {
  /** `unix:///path`, `tcp://host:port` (or `https://…`). */
  address: string;
  /** Client certificates and CA; with `tls` set, tcp addresses use TLS. */
  tls?: TlsFiles;
  /** Most pooled keep-alive sockets for plain calls (default {@link DEFAULT_CONNECTIONS}). */
  connections?: number;
  /** Most long-lived streams and hijacks open at once, each on its own socket (default {@link DEFAULT_STREAMS}). */
  streams?: number;
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
  /** {@link EngineClient.call} keeps the body as bytes even when it is JSON (pass-through). */
  rawBody?: boolean;
}

/** A response whose body is still streaming. Destroy `body` to abort the call. */
export interface EngineStream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** A complete response. `body` is parsed JSON when the daemon sent JSON (unless `rawBody`), else the raw bytes. */
export interface EngineResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

function positive(n: number | undefined, fallback: number, what: string): number {
  if (n === undefined) return fallback;
  if (!Number.isInteger(n) || n < 1)
    throw new SwarmError(ErrorCode.InvalidArgument, `${what} must be ≥ 1, got ${n}`);
  return n;
}

/** Anything holding a socket open that {@link EngineClient.close} must be able to end. */
type Closable = { destroy(): void; once(ev: 'close', fn: () => void): unknown };

/** A client to one daemon. Create once per daemon; {@link close} releases every socket. */
export class EngineClient {
  readonly address: EngineAddress;
  /** The two budgets: pooled sockets for plain calls, and long-lived streams (see the module doc). */
  readonly limits: { readonly connections: number; readonly streams: number };
  readonly #opts: EngineClientOptions;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #pool: Pool;
  /** Requests and sockets of streams and hijacks (on their own connections), for close(). */
  readonly #own = new Set<Closable>();
  #streamsOpen = 0;
  #version: Promise<string> | undefined;
  #closed = false;

  constructor(opts: EngineClientOptions) {
    this.#opts = opts;
    this.address = parseEngineAddress(opts.address, opts.tls !== undefined);
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.limits = {
      connections: positive(opts.connections, DEFAULT_CONNECTIONS, 'connections'),
      streams: positive(opts.streams, DEFAULT_STREAMS, 'streams'),
    };
    const a = this.address;
    const tls = opts.tls;
    this.#pool = new Pool(
      a.kind === 'unix' ? 'http://localhost' : `${tls ? 'https' : 'http'}://${a.host}:${a.port}`,
      {
        connections: this.limits.connections,
        keepAliveTimeout: 10_000,
        // Deadlines are ours (on the clock); streams never use the pool.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: {
          ...(a.kind === 'unix' ? { socketPath: a.path } : {}),
          ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: tls.verify } : {}),
        },
      },
    );
  }

  /** Long-lived streams and hijacks open right now (each holds one socket). */
  get streamsOpen(): number {
    return this.#streamsOpen;
  }

  /** Takes a stream slot or refuses at once; the returned function gives it back (idempotent). */
  #takeStream(what: string): () => void {
    const limit = this.limits.streams;
    if (this.#streamsOpen >= limit) {
      throw new SwarmError(
        ErrorCode.LimitReached,
        `${what}: ${limit} streams (attach, exec, logs, events, wait…) already open to ${this.#opts.address}; close some or raise the streams limit`,
        { details: { address: this.#opts.address, streams: limit } },
      );
    }
    this.#streamsOpen++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#streamsOpen--;
    };
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

  /** JSON (serialised), raw bytes, or a stream to pipe up; `json` tells which. */
  #body(req: EngineRequest): { body: Buffer | Readable | undefined; json: boolean } {
    const b = req.body;
    if (b === undefined || b === null) return { body: undefined, json: false };
    if (Buffer.isBuffer(b) || typeof (b as Readable).pipe === 'function')
      return { body: b as Buffer | Readable, json: false };
    return { body: Buffer.from(JSON.stringify(b)), json: true };
  }

  /** Starts the call on the pool; resolves at the response headers. */
  async #send(req: EngineRequest, signal: AbortSignal) {
    const path = await this.#url(req);
    const { body, json } = this.#body(req);
    return this.#pool.request({
      method: req.method as 'GET',
      path,
      signal,
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...req.headers },
      body,
    });
  }

  /** One pooled call; resolves at the response headers with the body still streaming. */
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

  /**
   * A call whose answer is a long-lived stream (wait, events, logs -f…) on a connection of its own,
   * holding a stream slot until the body ends or is destroyed (which closes the socket at once).
   * Refused with `SWARM_ERR_LIMIT_REACHED` when every slot is taken. The deadline covers the headers.
   */
  stream(req: EngineRequest): Promise<EngineStream> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path} (stream)`, ms, async (signal) => {
      const release = this.#takeStream(`${req.method} ${req.path}`);
      try {
        const { body, json } = this.#body(req);
        const res = await openStream(
          { ...this.#direct(req, signal), path: await this.#url(req), body: body ?? Buffer.alloc(0) },
          json ? 'application/json' : undefined,
        );
        res.body.once('close', release);
        return res;
      } catch (err) {
        release();
        throw err;
      }
    });
  }

  /** One call, body read completely under the same deadline (undici aborts the body on the signal). */
  call(req: EngineRequest): Promise<EngineResult> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path}`, ms, async (signal) => {
      const res = await this.#send(req, signal);
      const headers = flatHeaders(res.headers);
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers, body: req.rawBody ? bytes : decodeBody(headers, bytes) };
    });
  }

  /**
   * A hijacked call (attach, exec start) on its own connection, holding a stream slot until the socket
   * closes: resolves with the raw socket after `101 UPGRADED` (the deadline covers only the wait for
   * it), or with the daemon's plain answer (errors, detached exec), which frees the slot at once.
   */
  hijack(req: EngineRequest): Promise<EngineHijack> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(`${req.method} ${req.path} (hijack)`, ms, async (signal) => {
      const release = this.#takeStream(`${req.method} ${req.path}`);
      try {
        const h = await openHijack({
          ...this.#direct(req, signal),
          path: await this.#url(req),
          body: Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body)),
        });
        if (h.upgraded) h.socket.once('close', release);
        else release();
        return h;
      } catch (err) {
        release();
        throw err;
      }
    });
  }

  /** What every call on a connection of its own shares; its request and socket are tracked for close(). */
  #direct(req: EngineRequest, signal: AbortSignal) {
    return {
      address: this.address,
      tls: this.#opts.tls,
      method: req.method,
      headers: req.headers,
      signal,
      track: (s: Closable) => {
        this.#own.add(s);
        s.once('close', () => this.#own.delete(s));
      },
    };
  }

  /** Closes every pooled socket and the own socket of every stream and hijack. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of this.#own) s.destroy();
    this.#own.clear();
    await this.#pool.destroy();
  }
}
