/**
 * The baseline for the chain's added latency (issue 11): a bare Node reverse proxy, node:http server →
 * undici pool, with no parsing at all: method, path, headers and body passed on as they are. Whatever
 * swarmd adds beyond what this adds is the cost of its structure (routing by the table, verb messages,
 * actors). Importable (`startBareProxy`) and runnable as a process of its own:
 * `tsx bench/bare-proxy.ts <listen socket> <daemon socket>`.
 * @module
 */

import { unlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';

/** A running bare proxy. */
export interface BareProxy {
  close(): Promise<void>;
}

/** Serves `listen` (a unix socket path), forwarding every request to the daemon at `daemonSocket`. */
export async function startBareProxy(listen: string, daemonSocket: string): Promise<BareProxy> {
  const pool = new Pool('http://localhost', { socketPath: daemonSocket, connections: 8 });
  const server: Server = createServer((req, res) => {
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool
      .request({
        method: req.method as 'GET',
        path: req.url ?? '/',
        headers: req.headers as Record<string, string>,
        body: hasBody ? req : undefined,
      })
      .then(
        (up) => {
          res.writeHead(up.statusCode, up.headers as Record<string, string>);
          pipeline(up.body, res, () => {});
        },
        (err: Error) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: err.message }));
        },
      );
  });
  try {
    unlinkSync(listen);
  } catch {
    // not there
  }
  await new Promise<void>((resolve) => server.listen(listen, resolve));
  return {
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.close();
    },
  };
}

if (/bare-proxy\.[jt]s$/.test(process.argv[1] ?? '') && process.argv.length >= 4) {
  const proxy = await startBareProxy(process.argv[2]!, process.argv[3]!);
  process.stdout.write('ready\n');
  process.once('SIGINT', () => void proxy.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
}
