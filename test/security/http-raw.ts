/**
 * Raw HTTP exchanges for the HTTP edge's security tests: exact request bytes over a unix socket
 * (node:http would normalise or refuse some of them), the answer parsed just enough to compare.
 * @module
 */
import { connect, type Socket } from 'node:net';

/** An answer as read off the socket. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses `HTTP/1.1 NNN …\r\nK: V\r\n…\r\n\r\nbody` (headers lower-cased; a chunked body is left as sent). */
export function parseAnswer(text: string): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: end < 0 ? '' : text.slice(end + 4) };
}

/** True once `text` holds a whole answer framed by Content-Length. */
function complete(text: string): boolean {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const length = parseAnswer(text).headers['content-length'];
  return length !== undefined && Buffer.byteLength(text.slice(end + 4), 'latin1') >= Number(length);
}

/**
 * Sends `request` as is and resolves with what was read until the server closed or one answer framed
 * by Content-Length was complete (dockerd keeps a connection that asked for an upgrade open after a
 * plain answer); 15 s at most.
 */
export function exchange(socketPath: string, request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close within 15 s; got ${JSON.stringify(got.slice(0, 200))}`));
    }, 15_000);
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (complete(got)) s.destroy();
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    s.on('error', () => {});
    s.write(request);
  });
}

/** A request line + headers (+ body) with `Connection: close`, so the answer ends with the socket. */
export function request(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body = '',
): string {
  const all: Record<string, string> = { Host: 'docker', Connection: 'close', ...headers };
  if ((body !== '' || method === 'POST') && !('Content-Length' in headers))
    all['Content-Length'] = String(Buffer.byteLength(body));
  const lines = Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('')}\r\n${body}`;
}

/** Opens a connection and resolves once it is connected (or rejects). */
export function open(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: socketPath, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Resolves with what `s` (opened half-open, never ended by us) received, once the server has closed
 * its socket completely: a FIN alone only ends the server's writing side, so after it a byte is
 * written every 50 ms until one fails (EPIPE/ECONNRESET: nothing is reading on the server any more).
 */
export function closed(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    let probe: NodeJS.Timeout | undefined;
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('error', () => {});
    s.once('end', () => {
      probe = setInterval(() => {
        if (!s.destroyed) s.write('.');
      }, 50);
    });
    const done = () => {
      clearInterval(probe);
      resolve(got);
    };
    if (s.destroyed) done();
    else s.once('close', done);
  });
}
