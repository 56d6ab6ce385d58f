/**
 * Hijacked connections (attach, exec start: `Connection: Upgrade`, `Upgrade: tcp`) on the raw socket
 * node:http hands to its `'upgrade'` event. Implements docker-cli-wire.md §3.1–3.2: read exactly
 * Content-Length body bytes (they sit in `head` and/or later socket data), treat everything after as
 * unframed stdin (buffered until the stage reads it, even if it arrives and ends before `start`),
 * answer `101 UPGRADED`, then pipe both ways with half-close: the client's FIN ends stdin while output
 * keeps flowing, and the socket ends when the output ends.
 * @module
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type Duplex, PassThrough } from 'node:stream';
import type { Clock } from '../../clock.js';
import type { DockerStreamResult } from './api.js';
import { type HttpError, httpError } from './http-errors.js';
import { endToEndHeaders } from './http-streams.js';

/** What an upgrade request carried: its body and the client's stdin that follows it. */
export interface HijackedRequest {
  /** Exactly Content-Length bytes. */
  body: Buffer;
  /** Raw client bytes after the body; ends at the client's half-close (stdin EOF). */
  stdin: PassThrough;
}

/** Bounds on reading an upgrade request's body: the same as node:http applies to a plain request. */
export interface BodyBounds {
  /** Largest body accepted (413 past it, like a plain request's JSON body). */
  limit: number;
  /** The whole body must have arrived by then (408 otherwise, like node's `requestTimeout`). */
  deadlineMs: number;
  /** The configured request deadline, for the 408's message. */
  timeoutMs: number;
  clock: Clock;
}

/**
 * Splits the bytes of a hijacked socket into the request body and stdin. Resolves once the body is
 * complete (stdin keeps filling afterwards) or with a 400/408/413 when the body is cut off, late or
 * too big; after a failure the socket is no longer read (the caller answers and closes it).
 */
export function takeHijackedRequest(
  socket: Socket,
  head: Buffer,
  contentLength: number,
  bounds: BodyBounds,
): Promise<HijackedRequest | HttpError> {
  if (contentLength > bounds.limit) {
    return Promise.resolve(httpError(413, `request body exceeds the limit of ${bounds.limit} bytes`));
  }
  return new Promise((resolve) => {
    const stdin = new PassThrough();
    const parts: Buffer[] = [];
    let have = 0;
    let bodyDone = false;
    const { clock } = bounds;

    const fail = (err: HttpError) => {
      bodyDone = true;
      clock.clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      stdin.destroy();
      resolve(err);
    };
    const timer = clock.setTimeout(() => {
      if (!bodyDone) {
        const secs = bounds.timeoutMs / 1000;
        fail(
          httpError(408, `request body not received within ${secs} s: got ${have} of ${contentLength} bytes`),
        );
      }
    }, bounds.deadlineMs);
    const finishBody = () => {
      bodyDone = true;
      clock.clearTimeout(timer);
      const all = Buffer.concat(parts);
      parts.length = 0;
      resolve({ body: all.subarray(0, contentLength), stdin });
      const rest = all.subarray(contentLength);
      if (rest.length > 0) push(rest);
    };
    // Backpressure: if nobody reads stdin yet, stop reading the socket rather than buffer without bound.
    const push = (chunk: Buffer) => {
      if (!stdin.write(chunk)) {
        socket.pause();
        stdin.once('drain', () => socket.resume());
      }
    };
    const onData = (chunk: Buffer) => {
      if (bodyDone) return push(chunk);
      parts.push(chunk);
      have += chunk.length;
      if (have >= contentLength) finishBody();
    };
    const onEnd = () => {
      if (!bodyDone)
        return fail(httpError(400, `request body cut off: got ${have} of ${contentLength} bytes`));
      stdin.end();
    };

    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('close', () => {
      if (!bodyDone) fail(httpError(400, 'connection closed before the request body arrived'));
      // A clean FIN already ended stdin; an abrupt close must not look like EOF to the stage.
      if (!stdin.writableEnded) stdin.destroy();
    });
    if (head.length > 0) onData(head);
    else if (contentLength === 0) finishBody();
  });
}

/**
 * Closes a hijacked socket after a final plain answer: it stops waiting for the client's FIN after
 * `lingerMs` (a client that never closes held the socket forever), and meanwhile reads and drops
 * whatever the client still sends, so unread bytes do not turn the close into a reset that could
 * discard the answer before the client read it.
 */
export function closeLingering(socket: Socket, clock: Clock, lingerMs: number): void {
  if (socket.destroyed) return;
  socket.on('data', () => {});
  socket.resume();
  const timer = clock.setTimeout(() => socket.destroy(), lingerMs);
  socket.once('close', () => clock.clearTimeout(timer));
}

function headerLines(headers: Record<string, string | number>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

/**
 * Writes a complete, non-upgraded HTTP response on a raw socket and ends it (`Connection: close`).
 * `headOnly` (the answer to a HEAD request) keeps the Content-Length but sends no body: a HEAD answer
 * must not have one, and node:http does not drop it for us on a raw socket.
 */
export function writeRawResponse(
  socket: Socket,
  status: number,
  headers: Record<string, string | number>,
  body?: Buffer,
  headOnly = false,
): void {
  if (socket.destroyed) return;
  const all = { ...headers, 'Content-Length': body?.length ?? 0, Connection: 'close' };
  socket.end(
    Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headerLines(all)}\r\n`),
      (!headOnly && body) || Buffer.alloc(0),
    ]),
  );
}

/** The `Upgrade` header of a stage's answer, whatever its case (a header value with CR/LF is ignored). */
function upgradeOf(headers: Record<string, string>): string | undefined {
  for (const k in headers) {
    const v = headers[k];
    if (k.toLowerCase() === 'upgrade' && typeof v === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z/-]+$/.test(v))
      return v;
  }
  return undefined;
}

/**
 * Answers an upgrade with the stage's stream. `raw-stream` → `101 UPGRADED` (Docker's `Upgrade: tcp`)
 * or `101 Switching Protocols` (the protocol the daemon agreed to: h2c, websocket) and a byte pipe;
 * `chunked` (a stage streaming a plain HTTP answer) → a close-delimited body. Either way the socket
 * ends when `output` ends; a failure on either side destroys both.
 */
export function pipeHijacked(
  socket: Socket,
  result: DockerStreamResult,
  output: Duplex,
  base: Record<string, string>,
  onDone?: () => void,
): void {
  const extra = endToEndHeaders(result.headers);
  const protocol = upgradeOf(result.headers);
  let head: string;
  if (result.mode === 'raw-stream' && protocol !== undefined && protocol.toLowerCase() !== 'tcp') {
    // A client's own protocol (BuildKit's h2c, a websocket): the daemon's 101 and its handshake
    // headers exactly, as dockerd writes them (no API headers, no body type).
    head = `HTTP/1.1 101 Switching Protocols\r\n${headerLines({ ...extra, Connection: 'Upgrade', Upgrade: protocol })}\r\n`;
  } else if (result.mode === 'raw-stream') {
    head = `HTTP/1.1 101 UPGRADED\r\n${headerLines({
      'Content-Type': 'application/vnd.docker.raw-stream',
      ...base,
      ...extra,
      Connection: 'Upgrade',
      Upgrade: 'tcp',
    })}\r\n`;
  } else {
    head = `HTTP/1.1 ${result.status} ${STATUS_CODES[result.status] ?? ''}\r\n${headerLines({ ...base, ...extra, Connection: 'close' })}\r\n`;
  }
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    onDone?.();
  };
  socket.write(head);
  output.on('data', (chunk: Buffer) => {
    if (!socket.write(chunk)) {
      output.pause();
      socket.once('drain', () => output.resume());
    }
  });
  // The CLI waits for this EOF before exiting (§3.2); it closes its side in turn.
  output.once('end', () => socket.end());
  output.once('error', () => socket.destroy());
  socket.once('close', () => {
    if (!output.destroyed) output.destroy();
    finish();
  });
  socket.on('error', () => socket.destroy());
}
