/**
 * Request bodies at the HTTP edge: read with a size limit (413 past it, without buffering the
 * excess) and parse as JSON (400 with the parser's reason when malformed), as dockerd answers.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { type HttpError, httpError } from './http-errors.js';

/** Largest JSON request body accepted. A container create is ~1.5 KB; 16 MiB is generous. */
export const DEFAULT_JSON_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * Deepest nesting of arrays and objects accepted in a JSON body. Real Docker bodies nest fewer than 10
 * levels; past a few thousand, anything that walks the value recursively (JSON.stringify of a reply,
 * structuredClone, the CBOR codec between processes: cbor-x fails near 1,500) overflows the stack, so
 * a value that deep must never get in. dockerd's own decoder stops at 10,000.
 */
export const MAX_JSON_DEPTH = 512;

/** The depth past `limit` at which `buf` (JSON text) opens one more array or object, or -1. Linear, no recursion. */
export function jsonDepthExceeded(buf: Uint8Array, limit = MAX_JSON_DEPTH): number {
  if (buf.length <= limit) return -1; // each level takes a byte at least
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/** A parsed body (`undefined` when empty) or the error to answer with. */
export type BodyResult = { ok: true; body: unknown } | { ok: false; error: HttpError };

/** Parses a complete body: empty → `undefined`, else JSON or a 400 naming the parse error. */
export function parseJsonBody(buf: Buffer): BodyResult {
  // Empty means JSON whitespace only: String#trim also ate U+00A0, a BOM, \v, \f…, so such a body was
  // forwarded as no body at all instead of a 400 (found by test/dockerserver/fuzz.test.ts).
  const text = buf.toString('utf8');
  if (/^[ \t\r\n]*$/.test(text)) return { ok: true, body: undefined };
  const at = jsonDepthExceeded(buf);
  if (at >= 0) {
    const message = `invalid JSON in request body: nested deeper than ${MAX_JSON_DEPTH} arrays/objects at byte ${at}`;
    return { ok: false, error: httpError(400, message) };
  }
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: httpError(400, `invalid JSON in request body: ${(err as Error).message}`) };
  }
}

const NO_BODY: BodyResult = { ok: true, body: undefined };

function tooLarge(limit: number): HttpError {
  return httpError(413, `request body exceeds the limit of ${limit} bytes`);
}

/**
 * Reads `req`'s body up to `limit` bytes and parses it as JSON. On 413 the rest of the body is left
 * unread: the caller must answer with `Connection: close` so the connection is not reused.
 */
export function readJsonBody(req: IncomingMessage, limit = DEFAULT_JSON_BODY_LIMIT): Promise<BodyResult> {
  const length = req.headers['content-length'];
  // No Content-Length and no Transfer-Encoding: HTTP/1.1 says there is no body (every GET the CLI
  // sends), so there is nothing to wait for.
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined)
    return Promise.resolve(NO_BODY);
  const declared = Number(length);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, error: tooLarge(limit) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve({ ok: false, error: tooLarge(limit) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(parseJsonBody(Buffer.concat(chunks)));
    };
    const onError = () => {
      cleanup();
      resolve({ ok: false, error: httpError(400, 'request body was cut off') });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onError);
  });
}
