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
 *
 * This file is the client itself: the four kinds of call and close. The two budgets (the pool, the
 * stream slots) and the deadline are in `engine-limits.ts`; the call and answer types, version
 * negotiation and body encoding in `engine-call.ts`; calls on a connection of their own in
 * `engine-direct.ts`; the pooled call read whole (the pass-through hot path) in `engine-dispatch.ts`.
 * @module
 */
import type { Readable } from 'node:stream';
import type { Pool } from 'undici';
import { type Clock, systemClock } from '../../clock.js';
import { ErrorCode, SwarmError } from '../../errors.js';
import { type EngineAddress, parseEngineAddress, type TlsFiles } from './engine-address.js';
import {
  type EngineRequest,
  type EngineResult,
  type EngineStream,
  encodeBody,
  negotiatedVersion,
} from './engine-call.js';
import {
  type Closable,
  decodeBody,
  type EngineHijack,
  flatHeaders,
  openHijack,
  openStream,
} from './engine-direct.js';
import { dispatchWhole } from './engine-dispatch.js';
import {
  budget,
  DEFAULT_CONNECTIONS,
  DEFAULT_STREAMS,
  keepAlivePool,
  StreamSlots,
  withDeadline,
} from './engine-limits.js';

export type { EngineRequest, EngineResult, EngineStream } from './engine-call.js';
export { MAX_ENGINE_API } from './engine-call.js';
export type { EngineHijack } from './engine-direct.js';
export { DEFAULT_CONNECTIONS, DEFAULT_STREAMS } from './engine-limits.js';

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

/** `path` with the query (a record, or entries when a key repeats) appended; no `?` when empty. */
function withQuery(path: string, query: EngineRequest['query']): string {
  if (query === undefined || (Array.isArray(query) ? query.length === 0 : isEmpty(query))) return path;
  const qs = new URLSearchParams(query).toString();
  return qs ? `${path}?${qs}` : path;
}

function isEmpty(o: object): boolean {
  for (const _ in o) return false;
  return true;
}

/** A client to one daemon. Create once per daemon; {@link close} releases every socket. */
export class EngineClient {
  readonly address: EngineAddress;
  /** The two budgets: pooled sockets for plain calls, and long-lived streams (see the module doc). */
  readonly limits: { readonly connections: number; readonly streams: number };
  readonly #opts: EngineClientOptions;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #pool: Pool;
  readonly #streams: StreamSlots;
  /** Requests and sockets of streams and hijacks (on their own connections), for close(). */
  readonly #own = new Set<Closable>();
  #version: Promise<string> | undefined;
  /** The negotiated version once the ask has answered (calls after it need not wait for a promise). */
  #versionKnown: string | undefined;
  #closed = false;

  constructor(opts: EngineClientOptions) {
    this.#opts = opts;
    this.address = parseEngineAddress(opts.address, opts.tls !== undefined);
    this.#clock = opts.clock ?? systemClock;
    this.#timeoutMs = opts.timeoutMs ?? 30_000;
    this.limits = {
      connections: budget(opts.connections, DEFAULT_CONNECTIONS, 'connections'),
      streams: budget(opts.streams, DEFAULT_STREAMS, 'streams'),
    };
    this.#pool = keepAlivePool(this.address, opts.tls, this.limits.connections);
    this.#streams = new StreamSlots(this.limits.streams, opts.address);
  }

  /** Long-lived streams and hijacks open right now (each holds one socket). */
  get streamsOpen(): number {
    return this.#streams.open;
  }

  /** Keep-alive pool sockets connected to the daemon now, busy or idle (undici's pool stats). */
  get poolConnections(): number {
    return this.#pool.stats.connected;
  }

  /** The negotiated API version, asked once; a failed ask is retried by the next call. */
  version(): Promise<string> {
    // call(), not request(): the body ("OK") is read, so the pooled socket is free again at once.
    this.#version ??= this.call({ method: 'GET', path: '/_ping', versioned: false })
      .then((r) => {
        this.#versionKnown = negotiatedVersion(r.headers['api-version']);
        return this.#versionKnown;
      })
      .catch((err: unknown) => {
        this.#version = undefined;
        throw err;
      });
    return this.#version;
  }

  async #url(req: EngineRequest): Promise<string> {
    const prefix = req.versioned === false ? '' : `/v${await this.version()}`;
    return withQuery(`${prefix}${req.path}`, req.query);
  }

  /** {@link #url} without a wait, once the version is known (every call after the first). */
  #knownUrl(req: EngineRequest): string | undefined {
    if (req.versioned === false) return withQuery(req.path, req.query);
    return this.#versionKnown === undefined
      ? undefined
      : withQuery(`/v${this.#versionKnown}${req.path}`, req.query);
  }

  /** Runs `fn` under the deadline (see {@link withDeadline}); refused once the client is closed. */
  #deadline<T>(
    what: string,
    ms: number,
    fn: (signal: AbortSignal) => Promise<T>,
    after?: Promise<unknown>,
  ): Promise<T> {
    if (this.#closed)
      return Promise.reject(new SwarmError(ErrorCode.Closed, `client to ${this.#opts.address} is closed`));
    return withDeadline(this.#clock, this.#opts.address, what, ms, fn, after);
  }

  /** Starts the call on the pool; resolves at the response headers. */
  async #send(req: EngineRequest, signal: AbortSignal) {
    const path = await this.#url(req);
    const { body, json } = encodeBody(req);
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
    return this.#deadline(
      `${req.method} ${req.path}`,
      ms,
      async (signal) => {
        const res = await this.#send(req, signal);
        return {
          status: res.statusCode,
          headers: flatHeaders(res.headers),
          body: res.body as unknown as Readable,
        };
      },
      req.deadlineAfter,
    );
  }

  /**
   * A call whose answer is a long-lived stream (wait, events, logs -f…) on a connection of its own,
   * holding a stream slot until the body ends or is destroyed (which closes the socket at once).
   * Refused with `SWARM_ERR_LIMIT_REACHED` when every slot is taken. The deadline covers the headers.
   */
  stream(req: EngineRequest): Promise<EngineStream> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(
      `${req.method} ${req.path} (stream)`,
      ms,
      async (signal) => {
        const release = this.#streams.take(`${req.method} ${req.path}`);
        try {
          const { body, json } = encodeBody(req);
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
      },
      req.deadlineAfter,
    );
  }

  /** One pooled call, its body read completely under the deadline (engine-dispatch.ts: the hot path). */
  async call(req: EngineRequest): Promise<EngineResult> {
    if (this.#closed) throw new SwarmError(ErrorCode.Closed, `client to ${this.#opts.address} is closed`);
    const ms = req.timeoutMs ?? this.#timeoutMs;
    const { body, json } = encodeBody(req);
    if (body !== undefined && !Buffer.isBuffer(body))
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        'call() takes a JSON or bytes body; stream one with request()',
      );
    const headers = req.headers ?? {};
    const r = await dispatchWhole(
      this.#pool,
      this.#clock,
      {
        method: req.method,
        path: this.#knownUrl(req) ?? (await this.#url(req)),
        headers: json ? { 'content-type': 'application/json', ...headers } : headers,
        body,
      },
      { address: this.#opts.address, what: `${req.method} ${req.path}`, ms },
    );
    return {
      status: r.status,
      headers: r.headers,
      body: req.rawBody ? r.body : decodeBody(r.headers, r.body),
    };
  }

  /**
   * A hijacked call (attach, exec start) on its own connection, holding a stream slot until the socket
   * closes: resolves with the raw socket after `101 UPGRADED` (the deadline covers only the wait for
   * it), or with the daemon's plain answer (errors, detached exec), which frees the slot at once.
   * `protocol` is the `Upgrade` asked for: `tcp` (Docker's hijack), or a client's own (h2c, websocket).
   */
  hijack(req: EngineRequest, protocol = 'tcp'): Promise<EngineHijack> {
    const ms = req.timeoutMs ?? this.#timeoutMs;
    return this.#deadline(
      `${req.method} ${req.path} (hijack)`,
      ms,
      async (signal) => {
        const release = this.#streams.take(`${req.method} ${req.path}`);
        try {
          const h = await openHijack(
            {
              ...this.#direct(req, signal),
              path: await this.#url(req),
              body: Buffer.from(req.body === undefined ? '' : JSON.stringify(req.body)),
            },
            protocol,
          );
          if (h.upgraded) h.socket.once('close', release);
          else release();
          return h;
        } catch (err) {
          release();
          throw err;
        }
      },
      req.deadlineAfter,
    );
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
