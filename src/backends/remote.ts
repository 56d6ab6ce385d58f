/**
 * remote: forwards every request to a `listen` stage in another swarmd over one libchan session
 * (unix, tcp, tls, ws, wss). The link is kept up with exponential backoff on the injected clock.
 * Requests in flight when it drops are answered with SWARM_ERR_CONNECTION_LOST (502) and never
 * retried behind the caller's back; requests arriving while it is down are refused at once (503).
 * @module
 */
import { backoffDelay } from '../actors/backoff.js';
import type { Message } from '../actors/message.js';
import { refuse } from '../actors/reply.js';
import type { TimerHandle } from '../clock.js';
import { ConnectionLostError, ErrorCode, SwarmError, toError } from '../errors.js';
import { pipe, type Session } from '../libchan/index.js';
import type { SessionTraffic } from '../libchan/session-flow.js';
import { EOF } from '../libchan/types.js';
import {
  connectLink,
  type LinkFlags,
  type LinkUrl,
  MIN_TOKEN_BYTES,
  parseLinkArgs,
  TOKEN_ENV,
} from './link/address.js';
import { LinkForwarder } from './link/forwarder.js';
import { LinkTraffic } from './link/traffic.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

const OPTIONS = new Set(['token', 'token-file', 'tlscert', 'tlskey', 'tlscacert', 'deadline', 'insecure']);
/** First reconnect delay and its cap; doubled per failed attempt. */
export const REMOTE_BACKOFF = { minMs: 100, maxMs: 5_000 };
const DEFAULT_DEADLINE_MS = 5_000;

/** Connects, authenticates (when a token is set) and opens the request channel. */
async function dial(
  name: string,
  url: LinkUrl,
  flags: LinkFlags,
  traffic: LinkTraffic,
): Promise<{ session: Session; ch: ReturnType<Session['newSendChannel']> }> {
  const session = await connectLink(name, url, flags, traffic);
  try {
    const ch = session.newSendChannel<Message>();
    if (flags.token !== undefined) {
      const [rx, tx] = pipe<Message>();
      await ch.send({ verb: 'control', args: { token: flags.token }, ret: tx });
      const answer = await rx.receive();
      rx.close();
      if (answer === EOF || answer.verb !== 'ack') {
        const why = answer === EOF ? 'no answer' : String((answer.args as { message?: string })?.message);
        throw new SwarmError(ErrorCode.InvalidArgument, `${url.text} refused the token: ${why}`);
      }
    }
    return { session, ch };
  } catch (err) {
    session.destroy();
    throw err;
  }
}

/** A remote stage instance (exported for tests: `linkState`, `inFlight`; `traffic` for --admin). */
export interface RemoteInstance extends StageInstance {
  readonly linkState: 'connecting' | 'up' | 'down' | 'stopped';
  readonly inFlight: number;
  /** Bytes, messages and credit stalls over every session this stage has had. */
  readonly traffic: SessionTraffic;
}

function createRemote(args: string[], ctx: StageContext): RemoteInstance {
  const { url, flags } = parseLinkArgs('remote', args, OPTIONS);
  const deadlineMs = flags.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const { clock, log } = ctx;
  let state: RemoteInstance['linkState'] = 'connecting';
  let link: LinkForwarder | undefined;
  let lastError: Error | undefined;
  let attempt = 0;
  let timer: TimerHandle | undefined;
  let nextAt = 0;
  const traffic = new LinkTraffic();

  const lost = (cause: Error) =>
    new ConnectionLostError(`stage ${ctx.name}: link to ${url.text} lost: ${cause.message}`, {
      cause,
      details: { status: 502, stage: ctx.name, url: url.text },
    });

  const connectOnce = async (): Promise<void> => {
    state = 'connecting';
    let timedOut = false;
    const attemptP = dial(ctx.name, url, flags, traffic);
    let deadline: TimerHandle | undefined;
    const expired = new Promise<never>((_, reject) => {
      deadline = clock.setTimeout(() => {
        timedOut = true;
        reject(new SwarmError(ErrorCode.DeadlineExceeded, `no link within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    // A dial that completes after its deadline is not wanted any more.
    attemptP.then(
      (r) => timedOut && r.session.destroy(),
      () => {},
    );
    try {
      const { session, ch } = await Promise.race([attemptP, expired]);
      if ((state as string) === 'stopped') {
        // stop() ran while we were dialling
        session.destroy();
        return;
      }
      const fwd = new LinkForwarder(session, ch, lost);
      link = fwd;
      state = 'up';
      attempt = 0;
      lastError = undefined;
      log.info(`linked to ${url.text}`);
      // The live link as an actor of this stage: it shows in the supervision tree while the link is up.
      const linkActor = ctx.spawnActor?.<never>(`link ${url.text}`, { receive() {} });
      void session.done.then((reason) => {
        linkActor?.close();
        onDown(fwd, reason ?? new ConnectionLostError('the peer closed the link'));
      });
    } finally {
      if (deadline !== undefined) clock.clearTimeout(deadline);
    }
  };

  const schedule = () => {
    if (state === 'stopped') return;
    state = 'down';
    const delay = backoffDelay(attempt++, {
      min: REMOTE_BACKOFF.minMs,
      max: REMOTE_BACKOFF.maxMs,
      randomFactor: 0,
    });
    nextAt = clock.now() + delay;
    timer = clock.setTimeout(() => {
      timer = undefined;
      connectOnce().catch((err: unknown) => {
        lastError = toError(err);
        log.warn(`link to ${url.text} failed: ${lastError.message}; retrying`);
        schedule();
      });
    }, delay);
  };

  const onDown = (fwd: LinkForwarder, reason: Error) => {
    if (link !== fwd) return;
    link = undefined;
    lastError = reason;
    fwd.failAll(reason);
    if (state === 'stopped') return;
    log.warn(`link to ${url.text} lost: ${reason.message}; reconnecting`);
    schedule();
  };

  return {
    get linkState() {
      return state;
    },
    get inFlight() {
      return link?.inFlight ?? 0;
    },
    get traffic() {
      return traffic.totals();
    },
    describe: () =>
      `forwarding to ${url.text} (${state === 'up' ? 'linked' : 'not linked yet, retrying'}` +
      `${flags.tokenSource ? `; token from ${flags.tokenSource}` : ''})`,
    async start() {
      // The first attempt is awaited so a healthy setup starts linked; a far end that is not up yet
      // is not a configuration error: the stage starts and keeps trying.
      try {
        await connectOnce();
      } catch (err) {
        lastError = toError(err);
        log.warn(`link to ${url.text} failed: ${lastError.message}; retrying in background`);
        schedule();
      }
    },
    async stop() {
      state = 'stopped';
      if (timer !== undefined) clock.clearTimeout(timer);
      const fwd = link;
      link = undefined;
      if (fwd) {
        fwd.failAll(new ConnectionLostError('the remote stage is stopping'));
        await fwd.session.close();
      }
    },
    handle(message: Message) {
      if (link) {
        // Finishing with an error was already answered; it is not this stage's crash.
        link.forward(message).catch(() => {});
        return;
      }
      const wait = Math.max(0, Math.round(nextAt - clock.now()));
      const err = new ConnectionLostError(
        `stage ${ctx.name}: not linked to ${url.text}${lastError ? ` (${lastError.message})` : ''}; ` +
          (state === 'stopped' ? 'stage stopped' : `next attempt in ${wait} ms`),
        { details: { status: 503, stage: ctx.name, url: url.text } },
      );
      refuse(message, err);
    },
  };
}

/** The remote stage definition. */
export const remoteStage: StageDefinition = {
  name: 'remote',
  summary: 'forward every request to a listen stage in another swarmd (unix, tcp, tls, ws, wss)',
  usage:
    'remote <url> [--token-file F | --token T] [--tlscert F --tlskey F --tlscacert F] [--deadline ms] [--insecure]',
  example:
    "swarmd 'dockerserver unix:///tmp/a.sock' 'remote wss://10.0.0.2:4243 --token-file /etc/swarmd/token --tlscacert ca.pem'",
  help:
    'Opens one libchan session to the listen stage at <url> and sends every request over it; replies and streams come back through the session. ' +
    `--token-file F (or --token T, or $${TOKEN_ENV}) sends a shared secret first: at least ${MIN_TOKEN_BYTES} bytes unless --insecure; prefer the file, since arguments show in ps. ` +
    '--tlscert/--tlskey present a client certificate and --tlscacert verifies the server against the host in <url> (tls://, wss://). ' +
    `--deadline bounds each connection attempt (default ${DEFAULT_DEADLINE_MS} ms). ` +
    `A dropped link is redialled with exponential backoff (${REMOTE_BACKOFF.minMs} ms doubling to ${REMOTE_BACKOFF.maxMs} ms). ` +
    'Requests in flight when it drops get SWARM_ERR_CONNECTION_LOST (status 502) and are not retried; requests while it is down are refused at once (status 503).',
  create: createRemote,
};
