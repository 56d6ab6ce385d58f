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

/** Called once for a list answer whose unwritable items were left out: how many, and the first error. */
export type SkippedItems = (count: number, first: Error) => void;

/**
 * A value as JSON text. A list with items that cannot be written (a cycle, a BigInt, a value nested
 * so deep that JSON.stringify overflows the stack) loses those items, reported through `skipped`,
 * rather than failing as a whole: one bad container row made every `docker ps` answer 500.
 */
function jsonText(value: unknown, skipped?: SkippedItems): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (!Array.isArray(value)) throw err;
    const parts: string[] = [];
    let count = 0;
    let first: Error | undefined;
    for (const item of value) {
      try {
        parts.push(JSON.stringify(item) ?? 'null');
      } catch (e) {
        count++;
        first ??= e as Error;
      }
    }
    if (count > 0) skipped?.(count, first!);
    return `[${parts.join(',')}]`;
  }
}

/** Serialises a `set` reply's body: bytes as they are, anything else as JSON + newline (like dockerd). */
export function encodeResultBody(
  result: DockerResult,
  skipped?: SkippedItems,
): { bytes: Buffer; json: boolean } | undefined {
  if (result.body === undefined || isBodyless(result.status)) return undefined;
  const b = result.body;
  // Bytes (e.g. dockerd's own JSON, passed through) are written as they are, without a copy.
  if (b instanceof Uint8Array)
    return { bytes: Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength), json: false };
  return { bytes: Buffer.from(`${jsonText(result.body, skipped)}\n`), json: true };
}

/** Answers with a complete `set` reply. */
export function writeSetReply(
  res: ServerResponse,
  result: DockerResult,
  base: OutgoingHttpHeaders,
  skipped?: SkippedItems,
): void {
  const encoded = encodeResultBody(result, skipped);
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
