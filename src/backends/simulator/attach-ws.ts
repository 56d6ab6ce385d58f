/**
 * `GET /containers/{id}/attach/ws` as dockerd 20.10 answers it (wsContainersAttach, x/net/websocket):
 * the container is looked up first (a missing or paused one is a plain 404/409), then the websocket
 * handshake (`101 Switching Protocols`, `Sec-WebSocket-Accept`), then the attach itself with stdin,
 * stdout and stderr whatever the query says (dockerd sets all three), `logs` and `stream` from the
 * query, output unmultiplexed, one binary frame per write (API ≥ 1.28), each message from the client
 * written to the container's stdin, and a close frame (1000) once the attach ends.
 *
 * The websocket protocol itself is `ws`'s: the front end writes the 101 with the headers this
 * answers, so here the socket is the request's byte stream (the client's frames) joined with the
 * answer's (ours), and `ws` speaks over it as WebSocketServer would over a socket it upgraded.
 * @module
 */
import { createHash } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import WebSocket from 'ws';
import type { Engine } from './engine.js';
import { badRequest } from './engine-errors.js';
import { attach } from './streams.js';

/** RFC 6455's GUID: the accept key is base64(sha1(client key + this)). */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * The server side of a `ws` connection, as WebSocketServer makes one for a socket it upgraded
 * (`new WebSocket(null, undefined, options)`, then `setSocket`): ws 8's own API, left out of @types/ws.
 */
type ServerSideWebSocket = new (
  address: null,
  protocols: undefined,
  options: typeof SERVER_DEFAULTS,
) => WebSocket & { setSocket(socket: Duplex, head: Buffer, options: typeof SERVER_DEFAULTS): void };

/** WebSocketServer's defaults (ws 8). */
const SERVER_DEFAULTS = {
  allowSynchronousEvents: true,
  autoPong: true,
  maxBufferedChunks: 256 * 1024,
  maxFragments: 16 * 1024,
  maxPayload: 100 * 1024 * 1024,
  maxPendingAutoPongs: 60,
  skipUTF8Validation: false,
};

/** What the handshake answers and the bytes that follow it. */
export interface WebsocketAttach {
  headers: Record<string, string>;
  stream: PassThrough;
}

function header(headers: Record<string, string | string[]> | undefined, name: string): string {
  const v = headers?.[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? (v[0] ?? '') : '';
}

/**
 * Attaches to `ref` over a websocket whose client bytes arrive on `wire`. Throws dockerd's error for a
 * container that cannot be attached (before any handshake), or a 400 for a request that is not a
 * version-13 websocket handshake.
 */
export function websocketAttach(
  engine: Engine,
  ref: string,
  query: Record<string, string>,
  headers: Record<string, string | string[]> | undefined,
  wire: Duplex | undefined,
): WebsocketAttach {
  engine.containers.get(ref);
  const key = header(headers, 'sec-websocket-key');
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key) || header(headers, 'sec-websocket-version') !== '13' || !wire) {
    throw badRequest(
      'websocket: the client is not using the websocket protocol (version 13 with a Sec-WebSocket-Key)',
    );
  }
  const stdin = new PassThrough();
  let output: PassThrough;
  try {
    output = attach(engine, ref, { ...query, stdin: '1', stdout: '1', stderr: '1' }, stdin, { raw: true });
  } catch (err) {
    stdin.destroy();
    throw err;
  }
  const toClient = new PassThrough();
  // What WebSocketServer does with a socket it upgraded, with its default settings.
  const ws = new (WebSocket as unknown as ServerSideWebSocket)(null, undefined, SERVER_DEFAULTS);
  ws.setSocket(Duplex.from({ readable: wire, writable: toClient }), Buffer.alloc(0), SERVER_DEFAULTS);
  ws.on('message', (data: Buffer) => stdin.write(data));
  ws.on('error', () => {});
  ws.once('close', () => {
    // The client went away: stdin sees EOF (as dockerd's copy does), the attach ends.
    stdin.end();
    output.destroy();
  });
  output.on('data', (chunk: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(chunk, { binary: true });
  });
  output.once('end', () => {
    if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  });
  const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
  return { headers: { Upgrade: 'websocket', 'Sec-WebSocket-Accept': accept }, stream: toClient };
}
