/**
 * Request bodies at the HTTP edge: read with a size limit (413 past it, without buffering the
 * excess) and parse as JSON (400 with the parser's reason when malformed), as dockerd answers.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { type HttpError, httpError } from './http-errors.js';

/** Largest JSON request body accepted. A container create is ~1.5 KB; 16 MiB is generous. */
export const DEFAULT_JSON_BODY_LIMIT = 16 * 1024 * 1024;

/** A parsed body (`undefined` when empty) or the error to answer with. */
export type BodyResult = { ok: true; body: unknown } | { ok: false; error: HttpError };

/** Parses a complete body: empty → `undefined`, else JSON or a 400 naming the parse error. */
export function parseJsonBody(buf: Buffer): BodyResult {
  // Empty means JSON whitespace only: String#trim also ate U+00A0, a BOM, \v, \f…, so such a body was
  // forwarded as no body at all instead of a 400 (found by test/dockerserver/fuzz.test.ts).
  const text = buf.toString('utf8');
  if (/^[ \t\r\n]*$/.test(text)) return { ok: true, body: undefined };
  try {
    return { ok: true, body: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: httpError(400, `invalid JSON in request body: ${(err as Error).message}`) };
  }
}

function tooLarge(limit: number): HttpError {
  return httpError(413, `request body exceeds the limit of ${limit} bytes`);
}

/**
 * Reads `req`'s body up to `limit` bytes and parses it as JSON. On 413 the rest of the body is left
 * unread: the caller must answer with `Connection: close` so the connection is not reused.
 */
export function readJsonBody(req: IncomingMessage, limit = DEFAULT_JSON_BODY_LIMIT): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
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
