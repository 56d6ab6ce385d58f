/**
 * Upgrade requests of the Docker front door (attach, exec start): node:http hands over the raw
 * socket; we read the body from it, forward the request with the client's stdin as its stream, and
 * answer `101 UPGRADED` + a raw byte pipe, or a plain response (JSON error, `set`) that closes.
 * An upgraded socket is outside node's header/request deadlines, so the body gets the same deadline
 * and size limit here, and only `maxPendingUpgrades` of them may be waiting for their body at once.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { parseJsonBody } from './http-body.js';
import { baseHeaders, dockerArgs, type Edge, edgeIdentity, replyTimeoutMs } from './http-edge.js';
import { errorBody, type HttpError, JSON_CONTENT_TYPE } from './http-errors.js';
import { forwardRequest } from './http-forward.js';
import { closeLingering, pipeHijacked, takeHijackedRequest, writeRawResponse } from './http-hijack.js';
import { checkRequestPath } from './http-path.js';
import { isHttpError, resolveRoute } from './http-router.js';
import { encodeResultBody, endToEndHeaders } from './http-streams.js';

/** How long a plainly answered upgrade socket waits for the client to close before it is destroyed. */
export const UPGRADE_LINGER_MS = 2_000;

/** Serves one upgrade request on its raw socket; never throws. The caller tracks the socket. */
export async function handleUpgrade(
  edge: Edge,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  // The CLI half-closes right after 101 when it has no stdin; output must keep flowing (§3.2).
  socket.allowHalfOpen = true;
  socket.on('error', () => socket.destroy());
  const { clock } = edge.target;
  // Every plain (non-upgraded) answer goes through here. An upgrade is no reason to break HEAD's rule:
  // its answers carry no body. A half-open socket must not outlive its answer: the client gets a
  // short while to close, then it is closed for it.
  const answer = (status: number, headers: Record<string, string>, body?: Buffer) => {
    writeRawResponse(socket, status, headers, body, req.method === 'HEAD');
    closeLingering(socket, clock, Math.min(UPGRADE_LINGER_MS, edge.limits.requestTimeoutMs));
  };
  const fail = (base: Record<string, string>, err: HttpError) =>
    answer(err.status, { ...base, 'Content-Type': JSON_CONTENT_TYPE }, Buffer.from(errorBody(err.message)));
  // Counted from the 'upgrade' event: the body must arrive within the request deadline, as for a plain
  // request, and no more than maxPendingUpgrades sockets may be waiting for theirs.
  const release = edge.upgrades.enter();
  if (!release) {
    const message = `too many upgrade requests waiting for their body (limit ${edge.upgrades.max}); try again`;
    return fail({}, { status: 503, message });
  }
  const deadline = clock.now() + edge.limits.requestTimeoutMs;
  socket.once('close', release);
  try {
    const path = checkRequestPath(req.url ?? '/');
    if (path.kind === 'redirect') return answer(301, { Location: path.location });
    const version = await edge.version();
    const base = baseHeaders(version);
    const match = resolveRoute(req.method ?? '', req.url ?? '/', version);
    if (isHttpError(match)) return fail(base, match);
    if (req.headers['transfer-encoding']) {
      const message = 'chunked bodies are not supported on upgrade requests; send Content-Length';
      return fail(base, { status: 400, message });
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (!Number.isSafeInteger(length) || length < 0) {
      return fail(base, { status: 400, message: 'invalid Content-Length' });
    }
    const { requestTimeoutMs } = edge.limits;
    const bounds = {
      limit: edge.bodyLimit,
      deadlineMs: Math.max(0, deadline - clock.now()),
      timeoutMs: requestTimeoutMs,
      clock,
    };
    const taken = await takeHijackedRequest(socket, head, length, bounds);
    release();
    if ('status' in taken) return fail(base, taken);
    const parsed = parseJsonBody(taken.body);
    if (!parsed.ok) {
      taken.stdin.destroy();
      return fail(base, parsed.error);
    }
    const args = dockerArgs(match, parsed.body, req.headers, edgeIdentity(edge, socket));
    const fwd = forwardRequest(edge.target, match.route.verb, args, replyTimeoutMs(edge, match), taken.stdin);
    socket.once('close', () => fwd.cancel());
    const out = await fwd.result;
    if (out.kind === 'cancelled') return;
    if (socket.destroyed) {
      if (out.kind === 'stream') out.stream.destroy();
      return;
    }
    if (out.kind === 'error') return fail(base, out.error);
    if (out.kind === 'set') {
      // e.g. exec start with Detach: true — a plain answer, no upgrade.
      taken.stdin.destroy();
      const encoded = encodeResultBody(out.result);
      const type: Record<string, string> = encoded?.json ? { 'Content-Type': JSON_CONTENT_TYPE } : {};
      const headers = { ...base, ...endToEndHeaders(out.result.headers), ...type };
      return answer(out.result.status, headers, encoded?.bytes);
    }
    pipeHijacked(socket, out.result, out.stream, base);
  } catch (err) {
    edge.log.error({ err }, 'dockerserver upgrade failed');
    fail({}, { status: 500, message: `${edge.target.name}: ${(err as Error).message}` });
  } finally {
    release();
  }
}
