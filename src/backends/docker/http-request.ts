/**
 * Ordinary (non-upgraded) requests of the Docker front door: match the route, answer `/_ping`
 * locally, read the body (JSON with a limit, or a raw upload stream when the row says so: a build
 * context, an image tarball, an archive), forward to the next
 * stage and write its answer. A client leaving cancels the wait and destroys any stream.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { finished } from 'node:stream/promises';
import { isUpload } from './api.js';
import { readJsonBody } from './http-body.js';
import {
  baseHeaders,
  dockerArgs,
  type Edge,
  edgeIdentity,
  pingHeaders,
  replyTimeoutMs,
} from './http-edge.js';
import { writeHttpError } from './http-errors.js';
import { type ForwardResult, forwardRequest } from './http-forward.js';
import { checkRequestPath } from './http-path.js';
import { isHttpError, resolveRoute } from './http-router.js';
import { type SkippedItems, writeChunkedStream, writeSetReply } from './http-streams.js';

function writeResult(
  res: ServerResponse,
  out: ForwardResult,
  base: Record<string, string>,
  skipped: SkippedItems,
): void {
  if (out.kind === 'cancelled') return;
  if (res.destroyed) {
    if (out.kind === 'stream') out.stream.destroy();
    return;
  }
  if (out.kind === 'error') writeHttpError(res, out.error, base);
  else if (out.kind === 'set') writeSetReply(res, out.result, base, skipped);
  else if (out.result.mode === 'raw-stream') {
    // The client did not ask for an upgrade: send the raw stream as a plain 200 body, as dockerd does.
    const result = { ...out.result, status: 200 };
    const type = { 'Content-Type': 'application/vnd.docker.raw-stream' };
    writeChunkedStream(res, result, out.stream, { ...base, ...type });
  } else writeChunkedStream(res, out.result, out.stream, base);
}

/** Serves one request; never throws (failures become Docker-style 500s). */
export async function handleRequest(edge: Edge, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    // dockerd's router cleans the decoded path first and redirects (no API headers, empty body).
    const path = checkRequestPath(req.url ?? '/');
    if (path.kind === 'redirect') {
      res.writeHead(301, { Location: path.location, 'Content-Length': 0 });
      res.end();
      return;
    }
    const version = await edge.version();
    const base = baseHeaders(version);
    const match = resolveRoute(req.method ?? '', req.url ?? '/', version);
    if (isHttpError(match)) return writeHttpError(res, match, base);
    if (match.route.op === 'ping') {
      res.writeHead(200, { ...pingHeaders(version), 'Content-Length': 2 });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    let body: unknown;
    let upload: PassThrough | undefined;
    let uploaded: Promise<unknown> | undefined;
    // Raw uploads (the row says which), streamed on as they arrive: never buffered here.
    if (isUpload(match.route, match.query)) {
      upload = new PassThrough();
      req.pipe(upload);
      // The answer comes after the whole body (a 1 GiB build context): the deadline starts there.
      uploaded = finished(req);
    } else {
      const parsed = await readJsonBody(req, edge.bodyLimit);
      if (!parsed.ok) {
        // After a 413 the rest of the body is unread: the connection cannot be reused.
        const close: Record<string, string> = parsed.error.status === 413 ? { Connection: 'close' } : {};
        return writeHttpError(res, parsed.error, { ...base, ...close });
      }
      body = parsed.body;
    }
    const args = dockerArgs(match, body, req.headers, edgeIdentity(edge, req.socket));
    const timeout = replyTimeoutMs(edge, match);
    const fwd = forwardRequest(edge.target, match.route.verb, args, timeout, upload, uploaded);
    res.once('close', () => {
      if (!res.writableFinished) fwd.cancel();
    });
    const skipped: SkippedItems = (count, first) =>
      edge.log.warn(
        { op: match.route.op, skipped: count, err: first },
        'dockerserver: left %d items out of a %s answer: they could not be written as JSON',
        count,
        match.route.op,
      );
    writeResult(res, await fwd.result, base, skipped);
  } catch (err) {
    edge.log.error({ err }, 'dockerserver request failed');
    writeHttpError(res, { status: 500, message: `${edge.target.name}: ${(err as Error).message}` });
  }
}
