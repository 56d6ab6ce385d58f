/**
 * listen: accepts libchan sessions (unix, tcp, tls, ws, wss) from `remote` stages and feeds every
 * Message arriving on them into the rest of this process's chain. Replies travel back through each
 * message's `ret`, which the session proxies. Access is by a shared token (the first message of a
 * session must be `control {token}`) or by mutual TLS; a plain listener off loopback is refused
 * unless `--insecure`.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { chmod } from 'node:fs/promises';
import { isVerb, type Message } from '../actors/message.js';
import { ReplyProxy, refuse, replyOnce } from '../actors/reply.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { Listener, Receiver, Session } from '../libchan/index.js';
import type { SessionTraffic } from '../libchan/session-flow.js';
import {
  isLoopback,
  type LinkFlags,
  type LinkUrl,
  type ListenLimits,
  listenLink,
  MIN_TOKEN_BYTES,
  parseLinkArgs,
  TOKEN_ENV,
} from './link/address.js';
import { AuthFailures, peerHost } from './link/auth-failures.js';
import { LinkTraffic } from './link/traffic.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

const OPTIONS = new Set([
  'token',
  'token-file',
  'tlscert',
  'tlskey',
  'tlscacert',
  'insecure',
  'allow-control',
  'max-connections',
]);

/** Connections a listener keeps open at once unless `--max-connections` says otherwise. */
const DEFAULT_MAX_CONNECTIONS = 256;
/** Values that are not Messages a session may send before it is ended (each one is a broken peer). */
const MAX_STRAYS = 3;

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** How a listener knows its peers: a shared token, a verified client certificate, or not at all. */
function authMode(flags: LinkFlags): 'token' | 'mutual TLS' | 'none' {
  if (flags.token !== undefined) return 'token';
  return flags.tlscacert ? 'mutual TLS' : 'none';
}

/**
 * Refuses configurations that would let anyone on the network drive the chain. TLS without a client CA
 * encrypts but authenticates nobody, so it counts as plain here.
 */
function checkExposure(url: LinkUrl, flags: LinkFlags): void {
  const tlsScheme = url.scheme === 'tls' || url.scheme === 'wss';
  if (tlsScheme && (!flags.tlscert || !flags.tlskey)) {
    throw new SwarmError(ErrorCode.InvalidArgument, `listen: ${url.text} needs --tlscert and --tlskey`);
  }
  if (flags.allowControl && authMode(flags) === 'none') {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      'listen: --allow-control lets peers add and remove nodes, so it needs authenticated peers. ' +
        'Fix: add --token-file F (or --token T), or use tls:// / wss:// with --tlscacert',
    );
  }
  if (url.scheme === 'unix' || authMode(flags) !== 'none' || flags.insecure) return;
  if (isLoopback(url.host)) return;
  throw new SwarmError(
    ErrorCode.InvalidArgument,
    `listen: refusing an unauthenticated listener on ${url.text}: anyone who can reach ${url.host} could drive this chain` +
      `${tlsScheme ? ' (TLS without --tlscacert encrypts but checks no client)' : ''}. ` +
      'Fix: listen on 127.0.0.1, add --token-file F, use tls:// or wss:// with --tlscacert, or pass --insecure to accept the risk',
  );
}

/** A listen stage instance (exported for tests: `address`, `sessions`; `traffic` for --admin). */
export interface ListenInstance extends StageInstance {
  readonly address: string | undefined;
  readonly sessions: number;
  /** Bytes, messages and credit stalls over every session peers have opened. */
  readonly traffic: SessionTraffic;
}

function createListen(args: string[], ctx: StageContext): ListenInstance {
  const { url, flags } = parseLinkArgs('listen', args, OPTIONS);
  checkExposure(url, flags);
  let listener: Listener | undefined;
  const traffic = new LinkTraffic();
  const failures = new AuthFailures(ctx.clock);
  /** Sessions already logged for refused control messages: one line per session, not per message. */
  const warnedControl = new WeakSet<Session>();
  /** Values that were not Messages, per session: logged once, and the session ends at MAX_STRAYS. */
  const strays = new WeakMap<Session, number>();
  /**
   * Until the token arrives a session may hold a few KiB for a few seconds (libchan's pre-auth
   * limits); the connection cap bounds how many such sessions there are.
   */
  const limits: ListenLimits = {
    ...(flags.token !== undefined ? { preAuth: {}, clock: ctx.clock } : {}),
    maxConnections: flags.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    onRefused: (count) => {
      if (count === 1) {
        ctx.log.warn(
          `${ctx.name}: refusing connections over --max-connections ${flags.maxConnections ?? DEFAULT_MAX_CONNECTIONS} (logged once)`,
        );
      }
    },
  };

  /**
   * Hands a peer's message to the next stage. `trusted`: the peer proved who it is (token or verified
   * certificate). An unproven peer's `args.identity` (the client name a front door puts on a request,
   * PROTOCOL.md; read by policy --own) is removed: anyone who can reach an open listener must not
   * be able to act as another client.
   */
  const forward = (message: Message, trusted: boolean): Promise<void> | undefined => {
    if (!ctx.downstream) {
      refuse(
        message,
        new SwarmError(
          ErrorCode.NotImplemented,
          `stage ${ctx.name}: no stage after listen to handle ${message.verb}`,
          {
            details: { status: 501 },
          },
        ),
      );
      return;
    }
    const out: Message = { ...message };
    const args = message.args as { identity?: unknown } | undefined;
    if (!trusted && typeof args === 'object' && args !== null && 'identity' in args) {
      const { identity: _claimed, ...rest } = args;
      out.args = rest;
    }
    // A reply to a peer that has gone away must not crash the replying stage.
    if (message.ret) out.ret = new ReplyProxy(message.ret);
    // The next stage's mailbox may push back: the session loop awaits this, so the peer's channel
    // credit runs out and the far side slows down instead of us buffering without bound.
    return ctx.downstream.send(out)?.catch(() => {});
  };

  const serveChannel = async (session: Session, rx: Receiver<Message>, auth: { ok: boolean }) => {
    for await (const message of rx) {
      if (typeof message !== 'object' || message === null || !isVerb((message as Message).verb)) {
        const n = (strays.get(session) ?? 0) + 1;
        strays.set(session, n);
        if (n === 1) {
          ctx.log.warn(
            `session from ${session.info.remote ?? '?'}: dropping values that are not Messages (logged once; the session ends at ${MAX_STRAYS})`,
          );
        }
        if (n >= MAX_STRAYS) {
          void session.close();
          return;
        }
        continue;
      }
      if (!auth.ok) {
        const token = (message.args as { token?: unknown } | undefined)?.token;
        if (
          message.verb === 'control' &&
          typeof token === 'string' &&
          sameToken(token, flags.token as string)
        ) {
          auth.ok = true;
          session.authenticate();
          replyOnce(message, { verb: 'ack', args: { authenticated: true } });
          continue;
        }
        const err = new SwarmError(
          ErrorCode.Unauthenticated,
          `${ctx.name}: authentication failed: the first message must be control {token} with the token given to listen --token`,
          { details: { status: 401 } },
        );
        const host = peerHost(session.info.remote);
        const exhausted = failures.fail(host);
        ctx.log.warn(
          `session from ${session.info.remote ?? '?'} refused: bad or missing token` +
            (exhausted ? `; ${host} is refused for ${Math.ceil(failures.retryAfterMs(host) / 1000)} s` : ''),
        );
        refuse(message, err);
        // Graceful close: the error reply goes out before GOAWAY resets the session.
        void session.close();
        return;
      }
      if (message.verb === 'control') {
        controlFromPeer(session, message);
        continue;
      }
      await forward(message, flags.token !== undefined || session.info.authorized === true);
    }
  };

  /**
   * A `control` message from a session peer. It can add and remove the aggregate's nodes, so it passes
   * only with --allow-control and from a peer that proved who it is (token or verified certificate).
   */
  const controlFromPeer = (session: Session, message: Message) => {
    const args = message.args as { token?: unknown } | undefined;
    if (flags.token !== undefined && typeof args?.token === 'string') {
      // A repeated handshake on an authenticated session is harmless.
      replyOnce(message, { verb: 'ack', args: { authenticated: true } });
      return;
    }
    if (!flags.allowControl) {
      if (!warnedControl.has(session)) {
        warnedControl.add(session);
        ctx.log.warn(
          `session from ${session.info.remote ?? '?'}: control messages refused (no --allow-control)`,
        );
      }
      refuse(
        message,
        new SwarmError(
          ErrorCode.Forbidden,
          `${ctx.name}: control messages from remote peers are refused; start listen with --allow-control ` +
            '(and --token-file F or --tlscacert) to let authenticated peers add and remove nodes',
          { details: { status: 403 } },
        ),
      );
      return;
    }
    const proven = flags.token !== undefined || session.info.authorized === true;
    if (!proven) {
      refuse(
        message,
        new SwarmError(ErrorCode.Unauthenticated, `${ctx.name}: control needs an authenticated peer`, {
          details: { status: 401 },
        }),
      );
      return;
    }
    void forward(message, true);
  };

  const onSession = (session: Session) => {
    const host = peerHost(session.info.remote);
    if (flags.token !== undefined && failures.blocked(host)) {
      // Guessing the token online: this address used up its failures; no log line per attempt.
      session.destroy();
      return;
    }
    ctx.log.info(`session from ${session.info.remote ?? session.info.transport} (${session.info.transport})`);
    const auth = { ok: flags.token === undefined };
    const serve = async () => {
      try {
        for await (const rx of session.channels<Message>()) {
          serveChannel(session, rx, auth).catch((err: unknown) =>
            ctx.log.info(`session channel ended: ${(err as Error).message}`),
          );
        }
      } catch (err) {
        ctx.log.info(`session from ${session.info.remote ?? '?'} ended: ${(err as Error).message}`);
      }
    };
    if (!ctx.spawnActor) {
      void serve();
      return;
    }
    // In a chain each session is an actor of this stage: it shows in the supervision tree, ends when
    // the peer goes, and is closed when the stage stops.
    ctx.spawnActor<never>(`session ${session.info.remote ?? session.info.transport}`, {
      start(actor) {
        void serve().finally(() => actor.stop());
      },
      receive() {},
      stop() {
        // Graceful: GOAWAY after what is queued (a no-op once the session has ended by itself).
        return session.close();
      },
    });
  };

  return {
    get address() {
      return listener?.address;
    },
    get sessions() {
      return listener?.sessions.size ?? 0;
    },
    get traffic() {
      return traffic.totals();
    },
    describe: () => {
      const mode = authMode(flags);
      const auth =
        (mode === 'token'
          ? `token from ${flags.tokenSource}`
          : mode === 'mutual TLS'
            ? 'mutual TLS'
            : 'no auth: anyone who can connect drives this chain') +
        (flags.allowControl ? ', control allowed' : '');
      const where =
        url.scheme === 'unix'
          ? `unix://${listener?.address}`
          : listener?.address.includes('://')
            ? listener.address
            : `${url.scheme}://${listener?.address}`;
      return `accepting remote stages on ${where} (${auth})`;
    },
    async start() {
      listener = await listenLink('listen', url, flags, onSession, limits, traffic);
      // Like dockerserver's socket: owner and group only, whatever the umask.
      if (url.scheme === 'unix') await chmod(url.path, 0o660);
    },
    async stop() {
      const l = listener;
      listener = undefined;
      await l?.close();
    },
    // Requests from an earlier stage in this process pass straight through (and are trusted).
    handle: (message) => forward(message, true),
  };
}

/** The listen stage definition. */
export const listenStage: StageDefinition = {
  name: 'listen',
  summary:
    'accept remote stages over libchan (unix, tcp, tls, ws, wss) and feed their requests into this chain',
  usage:
    'listen <url> [--token-file F | --token T] [--tlscert F --tlskey F --tlscacert F] [--allow-control] [--insecure] [--max-connections N]',
  example:
    "swarmd 'listen wss://0.0.0.0:4243 --tlscert s.pem --tlskey s.key --token-file /etc/swarmd/token' 'simulator nodeB'",
  help:
    'Accepts libchan sessions on <url>; every Message on every channel a peer opens goes to the next stage, and replies return through the session. ' +
    `--token-file F (or --token T, or $${TOKEN_ENV}): the first message of a session must be control {token}, else it gets an error and the session is closed; ` +
    `tokens shorter than ${MIN_TOKEN_BYTES} bytes are refused unless --insecure, and an address with 5 failed attempts in a minute is refused for the rest of it. ` +
    'tls:// and wss:// need --tlscert/--tlskey; with --tlscacert clients must present a certificate signed by that CA (mutual TLS). ' +
    'A listener with neither a token nor a client CA authenticates nobody: off loopback it is refused unless --insecure. ' +
    'control messages (which add and remove aggregate nodes) from peers are refused unless --allow-control, which needs a token or a client CA. ' +
    `--max-connections N (default ${DEFAULT_MAX_CONNECTIONS}): connections beyond N are closed at once. ` +
    'With a token, a session that has not authenticated within 5 s, or sends over 64 KiB, more than one channel or any byte stream first, is ended. ' +
    'See docs/SECURITY.md.',
  create: createListen,
};
