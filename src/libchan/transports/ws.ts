/**
 * WebSocket transport (the `ws` package), plain or over TLS. Each binary WebSocket message carries
 * one or more whole frames (everything coalesced in one tick); message boundaries carry no meaning.
 * @module
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WebSocket, WebSocketServer } from 'ws';
import { ConnectionLostError } from '../../errors.js';
import { Session, type SessionOptions } from '../session.js';
import type { Wire, WireHandlers, WireInfo } from '../wire.js';
import {
  closeAll,
  type Listener,
  type ListenerLimits,
  limitConnections,
  listening,
  track,
} from './listener.js';
import type { TlsMaterial } from './tls.js';

/** Unsent bytes below which a full WebSocket wire reports drain (like a socket's high-water mark). */
const DRAIN_MARK = 64 * 1024;

/** Options of the WebSocket listener. With `tls`, it serves `wss://`. */
export interface WsListenOptions extends Omit<SessionOptions, 'role'> {
  host?: string;
  port: number;
  /** URL path to accept upgrades on. Default `/`. */
  path?: string;
  tls?: TlsMaterial;
}

/** Options of the WebSocket client. */
export interface WsConnectOptions extends Omit<SessionOptions, 'role'> {
  /** `ws://host:port/path` or `wss://…`. */
  url: string;
  tls?: TlsMaterial;
}

/** Adapts an open WebSocket to the session's byte-stream seam. */
export function wsWire(ws: WebSocket, info: WireInfo): Wire {
  let closed = false;
  let error: Error | undefined;
  let handlers: WireHandlers | undefined;
  // Bytes handed to ws.send whose callback has not run (ws has no 'drain'; its send callback fires
  // once the bytes are written to the socket).
  let unsent = 0;
  let full = false;
  return {
    info,
    start(h) {
      handlers = h;
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) h.data(data);
        else ws.terminate(); // text frames are not part of the protocol
      });
      ws.on('error', (err) => {
        error ??= new ConnectionLostError(`websocket error: ${err.message}`, { cause: err });
      });
      ws.on('close', (code) => {
        if (closed) return;
        closed = true;
        h.close(
          error ?? (code === 1000 ? undefined : new ConnectionLostError(`websocket closed with ${code}`)),
        );
      });
    },
    write(data) {
      if (ws.readyState !== WebSocket.OPEN) return;
      const n = data.length;
      unsent += n;
      if (unsent > DRAIN_MARK) full = true;
      ws.send(data, { binary: true }, () => {
        unsent -= n;
        if (full && unsent <= DRAIN_MARK) {
          full = false;
          handlers?.drain?.();
        }
      });
    },
    bufferedAmount() {
      return unsent;
    },
    pause() {
      ws.pause();
    },
    end() {
      ws.close(1000);
    },
    destroy() {
      ws.terminate();
    },
  };
}

/** Connects to a WebSocket listener and returns a client session. */
export function connect(opts: WsConnectOptions): Promise<Session> {
  return new Promise((resolve, reject) => {
    const t = opts.tls ?? {};
    const ws = new WebSocket(opts.url, {
      perMessageDeflate: false,
      ...(t.ca ? { ca: t.ca } : {}),
      ...(t.cert ? { cert: t.cert } : {}),
      ...(t.key ? { key: t.key } : {}),
      ...(t.servername ? { servername: t.servername } : {}),
      rejectUnauthorized: t.rejectUnauthorized ?? true,
    });
    ws.binaryType = 'nodebuffer';
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      resolve(new Session(wsWire(ws, { transport: 'ws', remote: opts.url }), { ...opts, role: 'client' }));
    });
  });
}

/** Listens for WebSocket connections on a fresh HTTP(S) server. */
export async function listen(
  opts: WsListenOptions & ListenerLimits,
  onSession: (s: Session) => void,
): Promise<Listener> {
  const sessions = new Set<Session>();
  const server: HttpServer = opts.tls
    ? createHttpsServer({
        ...(opts.tls.key ? { key: opts.tls.key } : {}),
        ...(opts.tls.cert ? { cert: opts.tls.cert } : {}),
        ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
        requestCert: opts.tls.requestCert ?? false,
        rejectUnauthorized: opts.tls.rejectUnauthorized ?? true,
      })
    : createHttpServer();
  limitConnections(server, opts);
  const wss = new WebSocketServer({ server, path: opts.path ?? '/', perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    ws.binaryType = 'nodebuffer';
    const sock = req.socket as TLSSocket;
    const info: WireInfo = {
      transport: opts.tls ? 'wss' : 'ws',
      remote: `${sock.remoteAddress}:${sock.remotePort}`,
      ...(opts.tls ? { authorized: sock.authorized === true } : {}),
    };
    track(sessions, new Session(wsWire(ws, info), { ...opts, role: 'server' }), onSession);
  });
  await listening(server, () => server.listen(opts.port, opts.host ?? '127.0.0.1'));
  const a = server.address() as AddressInfo;
  const address = `${opts.tls ? 'wss' : 'ws'}://${a.address}:${a.port}${opts.path ?? '/'}`;
  return {
    address,
    sessions,
    close: async () => {
      wss.close();
      await closeAll(server, sessions);
    },
  };
}
