/**
 * What the HTTP handlers of the Docker front door share: the {@link Edge} they run against and the
 * small pure helpers that turn a matched route into a message and headers dockerd would send.
 * @module
 */

import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type DockerArgs, graceMs } from './api.js';
import type { ForwardTarget } from './http-forward.js';
import { clientIdentity, type IdentitySource } from './http-identity.js';
import type { ServerLimits, UpgradeGate } from './http-limits.js';
import type { MatchedRoute } from './http-router.js';

/** Everything a request or upgrade handler needs from the running server. */
export interface Edge {
  readonly target: ForwardTarget;
  readonly log: Logger;
  /** Seconds to wait for the next stage's first answer. */
  readonly timeoutSeconds: number;
  /** Largest JSON body accepted (413 past it). */
  readonly bodyLimit: number;
  /** Connection, deadline and upgrade limits (node:http enforces them until a request is upgraded). */
  readonly limits: ServerLimits;
  /** Upgrade requests still reading their body. */
  readonly upgrades: UpgradeGate;
  /** How the listener names its clients (`--identity`, `--tlsverify`'s certificate CN), if it does. */
  readonly identity?: IdentitySource;
  /** The API version to report (the next stage's, at most 1.41). */
  version(): Promise<string>;
}

/** Headers dockerd puts on every answer. */
export function baseHeaders(version: string): Record<string, string> {
  return {
    'Api-Version': version,
    Ostype: 'linux',
    'Docker-Experimental': 'false',
    Server: 'swarmd (linux)',
  };
}

/** Headers of a `/_ping` answer, exactly the set dockerd 20.10 sends (docker-cli-wire.md §1). */
export function pingHeaders(version: string): Record<string, string> {
  return {
    ...baseHeaders(version),
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    Pragma: 'no-cache',
    'Content-Type': 'text/plain; charset=utf-8',
  };
}

/** The request headers `match`'s row carries ({@link Route.headers}), as the client sent them. */
export function carriedHeaders(
  match: MatchedRoute,
  headers: IncomingHttpHeaders,
): Record<string, string | string[]> | undefined {
  let out: Record<string, string | string[]> | undefined;
  for (const name of match.route.headers ?? []) {
    const v = headers[name];
    if (v === undefined) continue;
    out ??= {};
    out[name] = v;
  }
  return out;
}

/**
 * The request message's args for a matched route. `identity` is the client's as the listener names it
 * ({@link clientIdentity}); nothing else sets {@link DockerArgs.identity}.
 */
export function dockerArgs(
  match: MatchedRoute,
  body: unknown,
  headers?: IncomingHttpHeaders,
  identity?: string,
): DockerArgs {
  const args: DockerArgs = { op: match.route.op, query: match.query };
  if (match.repeated) args.repeated = match.repeated;
  if (match.id !== undefined) args.id = match.id;
  if (body !== undefined) args.body = body;
  const carried = headers && carriedHeaders(match, headers);
  if (carried) args.headers = carried;
  if (identity !== undefined) args.identity = identity;
  return args;
}

/** The identity of the client on `socket`, as `edge`'s listener names it. */
export function edgeIdentity(edge: Edge, socket: Socket): string | undefined {
  return clientIdentity(edge.identity, socket);
}

/** How long to wait for an answer: the edge's timeout, plus the grace period the row asks for. */
export function replyTimeoutMs(edge: Edge, match: MatchedRoute): number {
  return edge.timeoutSeconds * 1000 + graceMs(match.route, match.query);
}
