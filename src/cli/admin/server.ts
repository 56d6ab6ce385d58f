/**
 * The admin HTTP server: the page (`/`, `/app.js`, `/style.css`, from the package: no build step),
 * `/api/tree` (the last sample as JSON), `/api/events` (the same pushed as server-sent events, one per
 * sample), `/metrics` (Prometheus text), `/healthz` and `/readyz`. With a token every route but the two
 * probes needs `Authorization: Bearer <token>` or the cookie that `/?token=<token>` sets.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect } from 'node:net';
import type { Registry } from 'prom-client';
import type { AdminConfig } from './args.js';
import type { AdminModel } from './model.js';
import { PAGE_CSS, PAGE_HTML } from './page.js';
import { PAGE_JS } from './page-script.js';

const COOKIE = 'swarmd_admin';
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'",
  'Referrer-Policy': 'no-referrer',
};

/** A running admin HTTP server. */
export interface AdminServer {
  /** `http://127.0.0.1:PORT` (the port actually bound), `https://…` or `unix:///path`. */
  readonly url: string;
  /** Pushes `json` to every connected page. */
  broadcast(json: string): void;
  /** Pages connected now. */
  readonly clients: number;
  close(): Promise<void>;
}

/** Starts the server on `config.address`; `model` answers the API, `registry` `/metrics`. */
export async function serveAdmin(
  config: AdminConfig,
  model: AdminModel,
  registry: Registry,
): Promise<AdminServer> {
  const clients = new Set<ServerResponse>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(req, res, config, model, registry, clients).catch((err: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `${err.message}\n`);
      else res.destroy();
    });
  };
  const server: Server = config.tls
    ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listen(server, config);
  const a = config.address;
  const scheme = config.tls ? 'https' : 'http';
  const bound = server.address();
  const url =
    a.kind === 'unix'
      ? `unix://${a.path}`
      : `${scheme}://${a.host.includes(':') ? `[${a.host}]` : a.host}:${typeof bound === 'object' && bound ? bound.port : a.port}`;
  return {
    url,
    get clients() {
      return clients.size;
    },
    broadcast(json) {
      const frame = `data: ${json}\n\n`;
      for (const c of clients) c.write(frame);
    },
    close() {
      for (const c of clients) c.end();
      clients.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  config: AdminConfig,
  model: AdminModel,
  registry: Registry,
  clients: Set<ServerResponse>,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://admin');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
    return;
  }
  switch (url.pathname) {
    case '/healthz':
      send(res, 200, 'text/plain', 'ok\n');
      return;
    case '/readyz': {
      const v = model.view;
      send(
        res,
        v.ready ? 200 : 503,
        'text/plain',
        v.ready ? 'ready\n' : `not ready: ${v.notReady.join('; ')}\n`,
      );
      return;
    }
  }
  if (config.token !== undefined && !authorized(req, config.token)) {
    if (url.pathname === '/' && url.searchParams.get('token') === config.token) {
      const secure = config.tls ? '; Secure' : '';
      send(res, 303, 'text/plain', 'see /\n', {
        Location: '/',
        'Set-Cookie': `${COOKIE}=${encodeURIComponent(config.token)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
      });
      return;
    }
    send(
      res,
      401,
      'text/plain',
      'admin token needed: Authorization: Bearer <token>, or open /?token=<token>\n',
      {
        'WWW-Authenticate': 'Bearer realm="swarmd admin"',
      },
    );
    return;
  }
  switch (url.pathname) {
    case '/':
    case '/index.html':
      send(res, 200, 'text/html; charset=utf-8', PAGE_HTML);
      return;
    case '/app.js':
      send(res, 200, 'text/javascript; charset=utf-8', PAGE_JS);
      return;
    case '/style.css':
      send(res, 200, 'text/css; charset=utf-8', PAGE_CSS);
      return;
    case '/api/tree':
      send(res, 200, 'application/json', JSON.stringify(model.view));
      return;
    case '/api/events':
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(`retry: 2000\ndata: ${JSON.stringify(model.view)}\n\n`);
      clients.add(res);
      req.socket.setTimeout(0);
      res.on('close', () => clients.delete(res));
      return;
    case '/metrics':
      send(res, 200, registry.contentType, await registry.metrics());
      return;
    default:
      send(res, 404, 'text/plain', 'not found\n');
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The bearer header or the cookie carries the token (compared in constant time). */
function authorized(req: IncomingMessage, token: string): boolean {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ') && same(auth.slice(7), token)) return true;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, v] = part.trim().split('=');
    if (k === COOKIE && v !== undefined && same(decodeURIComponent(v), token)) return true;
  }
  return false;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Listens; a stale unix socket (nobody answers) is replaced, a live one is never taken over. */
async function listen(server: Server, config: AdminConfig): Promise<void> {
  const a = config.address;
  if (a.kind === 'unix' && existsSync(a.path)) {
    const live = await new Promise<boolean>((resolve) => {
      const s = connect(a.path, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (live) throw new Error(`--admin unix://${a.path}: another server answers on this socket`);
    unlinkSync(a.path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (a.kind === 'unix') server.listen(a.path, resolve);
    else server.listen(a.port, a.host, resolve);
  });
  if (a.kind === 'unix') chmodSync(a.path, 0o660);
}
