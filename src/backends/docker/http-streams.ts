/**
 * Writes stage answers onto a node:http response: a `set` as status + JSON (no body for 204/304),
 * an `ack` in `chunked` mode as headers flushed at once (wait, events and logs -f depend on it,
 * docker-cli-wire.md §3.6) followed by the stream. A client leaving destroys the stage's stream.
 * @module
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import type { DockerResult, DockerStreamResult } from './api.js';
import { JSON_CONTENT_TYPE } from './http-errors.js';

// Framing is ours to decide, never the stage's: a stage relaying dockerd may copy these verbatim.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
  'te',
]);

/** A header name token (RFC 9110); anything else could smuggle bytes onto a raw socket. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Copies a stage's headers minus hop-by-hop ones (framing is the front end's business) and minus any
 * that are malformed (CR/LF in a value, bad names): upgrade answers are written to the socket by hand.
 */
export function endToEndHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string' || /[\r\n\0]/.test(v) || !TOKEN.test(k)) continue;
    if (!HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

/** Statuses that never carry a body. */
export function isBodyless(status: number): boolean {
  return status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** Serialises a `set` reply's body: bytes as they are, anything else as JSON + newline (like dockerd). */
export function encodeResultBody(result: DockerResult): { bytes: Buffer; json: boolean } | undefined {
  if (result.body === undefined || isBodyless(result.status)) return undefined;
  const b = result.body;
  // Bytes (e.g. dockerd's own JSON, passed through) are written as they are, without a copy.
  if (b instanceof Uint8Array)
    return { bytes: Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength), json: false };
  return { bytes: Buffer.from(`${JSON.stringify(result.body)}\n`), json: true };
}

/** Answers with a complete `set` reply. */
export function writeSetReply(res: ServerResponse, result: DockerResult, base: OutgoingHttpHeaders): void {
  const encoded = encodeResultBody(result);
  const headers: OutgoingHttpHeaders = { ...base, ...endToEndHeaders(result.headers) };
  if (encoded?.json) headers['Content-Type'] = JSON_CONTENT_TYPE;
  if (!isBodyless(result.status)) headers['Content-Length'] = encoded?.bytes.length ?? 0;
  res.writeHead(result.status, headers);
  res.end(encoded?.bytes);
}

/**
 * Answers with a streamed body: headers go out before any data exists, then the stage's stream is
 * piped. When either side fails or the client disconnects, both are destroyed (no leaked stream).
 * `onDone` runs once, when the exchange is over either way.
 */
export function writeChunkedStream(
  res: ServerResponse,
  result: DockerStreamResult,
  stream: Duplex,
  base: OutgoingHttpHeaders,
  onDone?: (err: Error | null) => void,
): void {
  res.writeHead(result.status, { ...base, ...endToEndHeaders(result.headers) });
  res.flushHeaders();
  pipeline(stream, res, (err) => onDone?.(err ?? null));
}
