/**
 * node:http's `clientError` (a request it could not parse, or one that missed its deadline) answered
 * the way node itself would, in Docker's JSON: 408 for the header/request deadlines, 431 for headers
 * over the size limit, 400 otherwise, written only after the answers the connection still owes, and
 * the socket closed afterwards (a client that keeps it open does not keep it for long).
 * @module
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '../../clock.js';
import { errorBody, JSON_CONTENT_TYPE } from './http-errors.js';
import { closeLingering, writeRawResponse } from './http-hijack.js';
import { clientErrorStatus } from './http-limits.js';

/** How long a socket answered with a client error waits for the client to close. */
const CLIENT_ERROR_LINGER_MS = 2_000;

/** Installs the `request` bookkeeping and the `clientError` handler on `server`; calls `onRequest` per request. */
export function handleClientErrors(
  server: Server,
  clock: Clock,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  // Answers not yet over, per connection, for the clientError handler below.
  const open = new WeakMap<Socket, Set<ServerResponse>>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const answers = open.get(req.socket) ?? new Set<ServerResponse>();
    open.set(req.socket, answers.add(res));
    res.once('close', () => answers.delete(res));
    onRequest(req, res);
  });
  const failing = new WeakSet<Socket>();
  server.on('clientError', (err: Error, socket: Socket) => {
    if (failing.has(socket)) return; // the parser reports each later chunk again: answer once
    failing.add(socket);
    // HTTP/1.1 answers go out in request order. Answers still owed to complete requests before
    // the malformed one go out first: a 400 written at once answered the wrong request (a valid
    // request, then garbage: the client saw 400 and the request had run) or landed inside a
    // streamed body (events, logs -f). Found by test/dockerserver/fuzz.test.ts.
    const pending = [...(open.get(socket) ?? [])];
    const owed = pending.filter((res) => res.req.complete);
    const over = (res: ServerResponse) =>
      new Promise((done) => {
        res.once('close', done);
        socket.once('close', done);
      });
    const { status, message } = clientErrorStatus(err);
    void Promise.all(owed.map(over)).then(() => {
      // The request whose body broke may have been answered in part already: then only a cut is honest.
      const cut = pending.some((res) => !res.req.complete && res.headersSent);
      if (socket.writable && !cut) {
        const body = Buffer.from(errorBody(message));
        writeRawResponse(socket, status, { 'Content-Type': JSON_CONTENT_TYPE }, body);
        closeLingering(socket, clock, CLIENT_ERROR_LINGER_MS);
      } else socket.destroy();
    });
  });
}
