/**
 * The shape of one call an {@link EngineClient} makes and what comes back, plus the two rules that
 * shape its bytes: which API version the path is prefixed with (negotiated once per daemon) and how a
 * request body is encoded.
 * @module
 */
import type { Readable } from 'node:stream';
import { isApiVersion, minApiVersion } from './http-router.js';

/** The newest API version swarmd speaks (dockerd 20.10); a newer daemon is asked for this one. */
export const MAX_ENGINE_API = '1.41';

/** One call. `path` has no version prefix; `versioned: false` sends it as is (`/_ping`). */
export interface EngineRequest {
  method: string;
  path: string;
  /** A record, or entries when a key repeats (`changes=a&changes=b`). */
  query?: Record<string, string> | [string, string][];
  /** JSON (serialised here), raw bytes, or a stream (e.g. a tar for archive put). */
  body?: unknown;
  headers?: Record<string, string | string[]>;
  versioned?: boolean;
  /**
   * The deadline starts when this settles rather than at once: a request body that streams up (a 1 GiB
   * build context) may take longer than any answer deadline, and the daemon answers only after it.
   */
  deadlineAfter?: Promise<unknown>;
  timeoutMs?: number;
  /** {@link EngineClient.call} keeps the body as bytes even when it is JSON (pass-through). */
  rawBody?: boolean;
}

/** A response whose body is still streaming. Destroy `body` to abort the call. */
export interface EngineStream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** A complete response. `body` is parsed JSON when the daemon sent JSON (unless `rawBody`), else the raw bytes. */
export interface EngineResult {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * The version to speak, given the `Api-Version` header of the daemon's `/_ping`: the daemon's own,
 * but at most {@link MAX_ENGINE_API}.
 */
export function negotiatedVersion(header: string | undefined): string {
  // Like the docker CLI: no header means the daemon predates negotiation, assume 1.24.
  return isApiVersion(header) ? minApiVersion(header, MAX_ENGINE_API) : '1.24';
}

/** JSON (serialised), raw bytes, or a stream to pipe up; `json` tells which. */
export function encodeBody(req: EngineRequest): { body: Buffer | Readable | undefined; json: boolean } {
  const b = req.body;
  if (b === undefined || b === null) return { body: undefined, json: false };
  if (Buffer.isBuffer(b) || typeof (b as Readable).pipe === 'function')
    return { body: b as Buffer | Readable, json: false };
  return { body: Buffer.from(JSON.stringify(b)), json: true };
}
