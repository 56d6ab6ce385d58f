/**
 * dockerclient: the last stage of a chain, a real Docker daemon. Each `Message<DockerArgs>` becomes
 * one HTTP call (op → ROUTES); the answer comes back as `set` (complete JSON), `ack` carrying the byte
 * stream (chunked bodies, hijacked attach/exec), or `error` with dockerd's own message and status.
 * Connection health is an xstate machine (connecting → healthy → degraded → down → backoff) fed by
 * every call's outcome and a periodic `_ping` probe with a deadline, all on the injected clock.
 * @module
 */
import type { Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { finished } from 'node:stream/promises';
import type { Message } from '../actors/message.js';
import { replyOnce } from '../actors/reply.js';
import { ErrorCode, isSwarmError, SwarmError } from '../errors.js';
import {
  createHealthActor,
  type HealthActor,
  type HealthOptions,
  type HealthState,
  healthState,
  isSettledHealthy,
} from './aggregate/health.js';
import { graceMs, isUpload, resultBody } from './docker/api.js';
import { DOCKERCLIENT_USAGE, type EngineArgs, parseEngineArgs } from './docker/engine-address.js';
import { EngineClient, type EngineRequest } from './docker/engine-client.js';
import {
  bodyAsDuplex,
  failureErrorArgs,
  httpErrorArgs,
  type PlannedCall,
  passHeaders,
  planCall,
} from './docker/engine-request.js';
import { SshBridge } from './docker/engine-ssh.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

export type { HealthState } from './aggregate/health.js';

/** Tunables of a {@link DockerClient} (tests shorten them). */
export interface DockerClientOptions {
  /** Most pooled keep-alive sockets for plain calls (default 8; the stage's `--connections`). */
  connections?: number;
  /** Most long-lived streams and hijacks open at once, each on its own socket (default 128; `--streams`). */
  streams?: number;
  /** Deadline of each call up to its answer or stream headers (default 30 s). */
  timeoutMs?: number;
  /** Deadline of a health probe (default 2 s). */
  probeTimeoutMs?: number;
  health?: Partial<HealthOptions>;
}

/** One reply: the verb, its args and maybe a stream. */
type Reply = Pick<Message, 'verb' | 'args' | 'stream'>;

/** A running dockerclient stage. Exported for tests and for callers that want `health`. */
export class DockerClient implements StageInstance {
  readonly engine: EngineClient;
  readonly #ctx: StageContext;
  readonly #args: EngineArgs;
  readonly #opts: DockerClientOptions;
  readonly #streams = new Set<Duplex>();
  /** For `ssh://`: the local socket whose every connection is an `ssh … docker system dial-stdio`. */
  readonly #ssh: SshBridge | undefined;
  #health: HealthActor | undefined;
  /** Calls on the engine's keep-alive pool now (counted for monitoring only). */
  #pooled = 0;

  constructor(args: EngineArgs, ctx: StageContext, opts: DockerClientOptions = {}) {
    this.#args = args;
    this.#ctx = ctx;
    this.#opts = opts;
    if (args.ssh) {
      const where = args.address;
      this.#ssh = new SshBridge(args.ssh, (text) =>
        ctx.log.warn({ address: where, stderr: text }, 'dockerclient: ssh to %s failed: %s', where, text),
      );
    }
    this.engine = new EngineClient({
      address: this.#ssh?.address ?? args.address,
      tls: args.tls,
      connections: opts.connections ?? args.connections,
      streams: opts.streams ?? args.streams,
      timeoutMs: opts.timeoutMs,
      clock: ctx.clock,
    });
  }

  describe(): string {
    const via = this.#ssh ? ' (each connection: ssh … docker system dial-stdio)' : '';
    return `forwarding Docker API calls to ${this.#args.address}${this.#args.tls ? ' (TLS)' : ''}${via}`;
  }

  /**
   * Plain calls (not streams or hijacks) this stage has on its keep-alive pool now, probes included:
   * each holds one pooled connection until its answer is read, or waits for one when all
   * `--connections` are busy. Read by swarmd `--admin`.
   */
  get poolCalls(): number {
    return this.#pooled;
  }

  /** Runs one pooled call (through reading its body) counted in {@link poolCalls}. */
  async #pooledCall<T>(call: () => Promise<T>): Promise<T> {
    this.#pooled++;
    try {
      return await call();
    } finally {
      this.#pooled--;
    }
  }

  /** Current connection health (`connecting` before {@link start}). */
  get health(): HealthState {
    return this.#health ? healthState(this.#health) : 'connecting';
  }

  /** Calls `fn` with each new health state (subscribe after {@link start}); returns the unsubscribe function. */
  subscribe(fn: (state: HealthState) => void): () => void {
    let last: HealthState | undefined;
    const sub = this.#health?.subscribe(() => {
      const now = this.health;
      if (now === last) return;
      last = now;
      fn(now);
    });
    return () => sub?.unsubscribe();
  }

  async start(): Promise<void> {
    await this.#ssh?.start();
    const probeMs = this.#opts.probeTimeoutMs ?? 2_000;
    const probe = async () => {
      const r = await this.#pooledCall(() =>
        this.engine.call({ method: 'GET', path: '/_ping', versioned: false, timeoutMs: probeMs }),
      );
      if (r.status !== 200) throw new Error(`_ping answered ${r.status}`);
    };
    this.#health = createHealthActor(probe, this.#ctx.clock, this.#opts.health);
  }

  async stop(): Promise<void> {
    this.#health?.stop();
    for (const s of this.#streams) s.destroy();
    this.#streams.clear();
    await this.engine.close();
    await this.#ssh?.stop();
  }

  /** Feeds a call outcome to the health machine: only failing to reach the daemon counts against it. */
  #outcome(err?: unknown): void {
    if (!this.#health) return;
    if (err === undefined) {
      if (!isSettledHealthy(this.#health)) this.#health.send({ type: 'ok' });
    } else if (isSwarmError(err, ErrorCode.ConnectionLost) || isSwarmError(err, ErrorCode.DeadlineExceeded)) {
      this.#health.send({ type: 'fail', error: (err as Error).message });
    }
  }

  #track(stream: Duplex): Duplex {
    this.#streams.add(stream);
    stream.once('close', () => this.#streams.delete(stream));
    return stream;
  }

  async handle(message: Message): Promise<void> {
    let reply: Reply;
    let used = false;
    try {
      const plan = planCall(message.args);
      used = consumesInput(plan);
      reply = await this.#perform(plan, message.stream);
      this.#outcome();
    } catch (err) {
      this.#outcome(err);
      reply = { verb: 'error', args: failureErrorArgs(err, this.#ctx.name) };
    }
    // A request stream nobody consumed must not leak (its writer would wait forever).
    if (!used || reply.verb === 'error') message.stream?.destroy();
    await replyOnce(message, reply as Message);
  }

  async #perform(plan: PlannedCall, input: Duplex | undefined): Promise<Reply> {
    const { route } = plan;
    const timeoutMs = (this.#opts.timeoutMs ?? 30_000) + graceMs(route, plan.query);
    const req: EngineRequest = {
      method: plan.method,
      path: plan.path,
      query: plan.search,
      body: plan.body,
      headers: plan.headers,
      timeoutMs,
    };
    if (route.op === 'ping') {
      const version = await this.engine.version();
      const r = await this.#pooledCall(() => this.engine.call({ ...req, versioned: false }));
      if (r.status >= 400) return { verb: 'error', args: httpErrorArgs(r.status, r.body) };
      const headers = {
        'Api-Version': version,
        OSType: r.headers.ostype ?? 'linux',
        'X-Swarm-Health': this.health,
      };
      return { verb: 'set', args: { status: r.status, body: Buffer.from('OK'), headers } };
    }
    // A detached exec start is a plain request: dockerd answers at once, without a stream.
    const detached =
      route.op === 'exec.start' && (plan.body as { Detach?: unknown } | undefined)?.Detach === true;
    if (route.answer === 'hijack' && !detached) return this.#hijack(plan, req, input, 'tcp');
    const protocol = route.answer === 'upgrade' ? plan.headers.upgrade : undefined;
    if (typeof protocol === 'string' && protocol !== '') {
      const { upgrade: _, ...headers } = plan.headers;
      return this.#hijack(plan, { ...req, headers }, input, protocol);
    }
    if (isUpload(route, plan.query)) {
      // The request's stream is the body (a build context, an image tarball, an archive): piped up as
      // it comes, and the deadline starts once it has all gone up.
      if (!input) throw new SwarmError(ErrorCode.InvalidArgument, `${route.op} needs a request body stream`);
      req.body = input;
      req.headers = { 'content-type': 'application/x-tar', ...plan.headers };
      req.deadlineAfter = finished(input, { readable: true, writable: false });
    }
    if (route.answer === 'stream' && !detached) {
      const r = await this.engine.stream(req);
      if (r.status >= 400) return { verb: 'error', args: httpErrorArgs(r.status, await buffer(r.body)) };
      const stream = this.#track(bodyAsDuplex(r.body));
      return {
        verb: 'ack',
        args: { status: r.status, headers: passHeaders(r.headers, true), mode: 'chunked' },
        stream,
      };
    }
    if (req.body === input && input) {
      // The pooled connection stays busy until the answer's body is read.
      const r = await this.#pooledCall(async () => {
        const answer = await this.engine.request(req);
        return { ...answer, body: await buffer(answer.body) };
      });
      return this.#complete(r.status, r.headers, r.body);
    }
    // The body stays bytes (with dockerd's Content-Type): a pass-through chain re-sends them as they
    // are; a stage that reads it parses it once (resultBody).
    const r = await this.#pooledCall(() => this.engine.call({ ...req, rawBody: true }));
    return this.#complete(r.status, r.headers, r.body);
  }

  #complete(status: number, headers: Record<string, string>, body: unknown): Reply {
    if (status >= 400) {
      const parsed = resultBody({ status, body, headers });
      return { verb: 'error', args: httpErrorArgs(status, parsed) };
    }
    if (body instanceof Uint8Array && body.length === 0) body = undefined;
    const bytes = body instanceof Uint8Array;
    return { verb: 'set', args: { status, body, headers: passHeaders(headers, bytes) } };
  }

  async #hijack(
    plan: PlannedCall,
    req: EngineRequest,
    input: Duplex | undefined,
    protocol: string,
  ): Promise<Reply> {
    const h = await this.engine.hijack(req, protocol);
    if (!h.upgraded) {
      if (h.status >= 400) return { verb: 'error', args: httpErrorArgs(h.status, h.body) };
      return this.#complete(h.status, h.headers, h.body);
    }
    const socket = this.#track(h.socket);
    socket.on('error', () => socket.destroy());
    if (input) {
      // stdin up; its end half-closes our write side so `cat` sees EOF while output keeps flowing.
      input.on('data', (c: Buffer) => {
        if (!socket.write(c)) {
          input.pause();
          socket.once('drain', () => input.resume());
        }
      });
      input.once('end', () => socket.end());
      input.once('error', () => socket.end());
      socket.once('close', () => input.destroy());
    } else if (plan.route.op === 'container.attach' && plan.query.stdin !== '1') socket.end();
    // passHeaders keeps the daemon's `Upgrade` (h2c, websocket) and handshake headers for the front end.
    return {
      verb: 'ack',
      args: { status: 101, headers: passHeaders(h.headers, true), mode: 'raw-stream' },
      stream: socket,
    };
  }
}

/** Calls whose request stream is ours to read: hijacked or upgraded stdin, or a raw upload (the row says). */
function consumesInput(plan: PlannedCall): boolean {
  const { answer } = plan.route;
  return answer === 'hijack' || answer === 'upgrade' || isUpload(plan.route, plan.query);
}

/** The dockerclient stage: forwards every Docker API message to one real daemon. */
export const dockerclientStage: StageDefinition = {
  name: 'dockerclient',
  summary: 'send every Docker API call to a real Docker daemon (unix, tcp or TLS)',
  usage: DOCKERCLIENT_USAGE,
  example: 'dockerclient unix:///var/run/docker.sock',
  help: [
    "The last stage of a chain: each request becomes one call on the daemon, answers keep dockerd's",
    'status and message. Streams (logs, events, wait, attach, exec) pass through as they come.',
    'TLS files default to $DOCKER_CERT_PATH/{ca,cert,key}.pem like the docker CLI.',
    "ssh://user@host[:port] works like the CLI's -H ssh://: each connection runs `docker system dial-stdio` on",
    'the host over ssh (BatchMode; --ssh-identity F is ssh -i, --ssh-option K=V a safe -o such as',
    'UserKnownHostsFile=F; none that runs a local command).',
    '--connections N (default 8): pooled keep-alive sockets for calls that answer and finish. --streams N',
    '(default 128): most streams and hijacks open at once, each on its own socket; one more gets 503',
    'SWARM_ERR_LIMIT_REACHED. At most connections + streams sockets per daemon.',
    'Health (connecting/healthy/degraded/down/backoff) shows in the ping reply header X-Swarm-Health.',
  ].join('\n'),
  create(args, ctx) {
    return new DockerClient(parseEngineArgs(args), ctx);
  },
};
