/**
 * Calls to a daemon on a connection of their own (node:http, `agent: false`), for everything that
 * holds its socket for as long as a stream lives: hijacked calls (attach, exec start: `Connection:
 * Upgrade`, `Upgrade: tcp`) and calls whose answer is a long-lived stream (events, logs -f, wait…).
 * Why not the undici pool: an upgraded socket can never go back to a pool, and undici does not close a
 * socket whose response body was destroyed until the daemon sends more data, so a `docker events` or a
 * `logs -f` on a quiet container that the client left kept its socket (and dockerd's subscriber) open.
 * Here destroying the body destroys the socket at once. {@link EngineClient} counts these against its
 * stream limit.
 * @module
 */
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { EngineAddress, TlsFiles } from './engine-address.js';

/** The result of a hijack: the raw duplex after `101`, or the plain answer the daemon gave instead. */
export type EngineHijack =
  | { upgraded: true; status: number; headers: Record<string, string>; socket: Duplex }
  | { upgraded: false; status: number; headers: Record<string, string>; body: unknown };

/** Flattens node's header object (arrays joined) into plain strings. */
export function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A body as parsed JSON when the daemon labelled it JSON, else the raw bytes (`undefined` when empty). */
export function decodeBody(headers: Record<string, string>, bytes: Buffer): unknown {
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

/** Anything holding a socket open that its owner must be able to end. */
export type Closable = { destroy(): void; once(ev: 'close', fn: () => void): unknown };

/** What {@link openHijack} and {@link openStream} need to know about one call. */
export interface DirectCall {
  address: EngineAddress;
  tls: TlsFiles | undefined;
  method: string;
  /** Full path with version prefix and query. */
  path: string;
  /** JSON bytes, or a stream piped up as the request body (an image import's tarball). */
  body: Buffer | Readable;
  headers?: Record<string, string | string[]>;
  signal: AbortSignal;
  /** Called with every socket-like object opened, so the owner can destroy them on close. */
  track(s: Closable): void;
}

function send(call: DirectCall, headers: Record<string, string | string[]>): ClientRequest {
  const { address: a, tls } = call;
  const where =
    a.kind === 'unix'
      ? { socketPath: a.path }
      : { host: a.host, port: a.port, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) };
  const request = a.kind === 'tcp' && tls ? httpsRequest : httpRequest;
  const r = request({
    ...where,
    ...(tls ? { rejectUnauthorized: tls.verify } : {}),
    method: call.method,
    path: call.path,
    agent: false,
    signal: call.signal,
    headers: { ...headers, ...call.headers },
  });
  call.track(r);
  if (Buffer.isBuffer(call.body)) r.end(call.body);
  else {
    const up = call.body;
    up.once('error', (err) => r.destroy(err));
    // A body destroyed before its end (the client left mid-upload) ends the call at once: the daemon
    // would otherwise wait for the rest until the deadline.
    up.once('close', () => {
      if (!up.readableEnded) r.destroy();
    });
    up.pipe(r);
  }
  return r;
}

function collect(res: IncomingMessage, resolve: (h: EngineHijack) => void, reject: (e: Error) => void) {
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
}

/**
 * Sends the upgrade request and resolves with the raw socket after `101 UPGRADED` (any bytes that came
 * with the 101 are put back in front of it), or with the daemon's complete plain answer.
 */
export function openHijack(call: DirectCall & { body: Buffer }, protocol = 'tcp'): Promise<EngineHijack> {
  return new Promise<EngineHijack>((resolve, reject) => {
    // Docker's own hijack sends its JSON body's type; a client's protocol (h2c, websocket) goes as sent.
    const type: Record<string, string> = protocol === 'tcp' ? { 'Content-Type': 'application/json' } : {};
    const r = send(call, {
      ...type,
      'Content-Length': String(call.body.length),
      Connection: 'Upgrade',
      Upgrade: protocol,
    });
    r.once('error', reject);
    r.once('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      call.track(socket);
      if (head.length > 0) socket.unshift(head);
      resolve({ upgraded: true, status: res.statusCode ?? 101, headers: flatHeaders(res.headers), socket });
    });
    r.once('response', (res: IncomingMessage) => collect(res, resolve, reject));
  });
}

/** A streamed answer on its own connection: destroying `body` destroys the socket. */
export interface DirectStream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** Sends a plain request and resolves at the response headers with the body still streaming. */
export function openStream(call: DirectCall, contentType: string | undefined): Promise<DirectStream> {
  return new Promise<DirectStream>((resolve, reject) => {
    const headers: Record<string, string> = Buffer.isBuffer(call.body)
      ? { 'Content-Length': String(call.body.length) }
      : { 'Transfer-Encoding': 'chunked' };
    if (contentType) headers['Content-Type'] = contentType;
    const r = send(call, headers);
    r.once('error', reject);
    r.once('response', (res: IncomingMessage) => {
      // The response owns the socket from here: destroying it (a client that left) must end the call.
      res.once('close', () => r.destroy());
      resolve({ status: res.statusCode ?? 500, headers: flatHeaders(res.headers), body: res });
    });
  });
}
