/**
 * Property and fuzz tests of dockerserver's HTTP edge (fast-check), against a responder that answers
 * every op with `{ok: true}`:
 * 1. the router (`resolveRoute`, `matchRoute`) never throws on any method and URL and gives a route or
 *    an HttpError in 400..599 with a message; every known route with a valid id (hex, names with `_.-`,
 *    image references, percent-encoded anything) matches with that exact id, version prefix (or none)
 *    and query (first value per key, odd keys included);
 * 2. random bytes on a real unix socket (odd request lines, headers, framings, garbage) get HTTP/1.1
 *    answers (or a close) whose 4xx/5xx bodies are Docker's `{"message"}` JSON; a valid request
 *    followed by garbage gets its own answer first, and garbage never lands inside a streamed body;
 *    `/_ping` is 200 after every case and the server ends up holding no connection;
 * 3. a POST /containers/create body reaches the next stage as exactly the parsed JSON value, while
 *    non-JSON gets a 400 and never reaches it.
 * An unhandled error anywhere fails the run (vitest reports it).
 */
import { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DockerOp, ROUTES } from '../../src/backends/docker/api.js';
import {
  isHttpError,
  type MatchedRoute,
  matchRoute,
  resolveRoute,
} from '../../src/backends/docker/http-router.js';
import type { DockerServer } from '../../src/backends/dockerserver.js';
import { until } from '../harness/until.js';
import { type OpHandler, raw, reply, responder, startServer, tempDir } from './helpers.js';

const hex = fc.stringMatching(/^(?:[0-9a-f]{12}|[0-9a-f]{64})$/);
const name = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/);
const encoded = fc.string({ minLength: 1, unit: 'grapheme' }).map(encodeURIComponent);
const imageRef = fc
  .tuple(fc.constantFrom('', 'reg:5000/', 'localhost/'), fc.array(name, { minLength: 1, maxLength: 3 }))
  .map(([reg, parts]) => `${reg}${parts.join('/')}${parts.length > 1 ? ':tag' : ''}`);
const prefix = fc.constantFrom('', ...Array.from({ length: 30 }, (_, i) => `/v1.${12 + i}`));
const withId = (path: string, id: string) => path.replace(/\{[a-z]+\*?\}/, id);
const odd = '.. . % %zz %E0%A4%A %2F %00 containers images json'.split(' ').map((x) => fc.constant(x));
const versions = ['', '/v1.41', '/v1.41/', '/v9.99', '/v9.99/', '/v0.1/', '/v1.12', '/v01.041/', '/v1.'];
const segment = fc.oneof(name, ...odd, fc.string({ minLength: 2000, maxLength: 5000 }));
const query = fc.oneof(
  fc.constant(''),
  fc.string().map((s) => `?${s}&a=1&a=2&=&&b`),
);
/** Any URL-ish string: web URLs, binary junk, `..`, long segments, odd version prefixes and queries. */
const anyUrl = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc
    .tuple(fc.constantFrom(...versions), fc.array(segment, { maxLength: 6 }), query)
    .map(([v, segs, q]) => `${v}/${segs.join('/')}${q}`),
);
const key = fc.oneof(fc.string(), fc.constantFrom('__proto__', ''));
const pairs = fc.array(fc.tuple(key, fc.string()), { maxLength: 6 });

describe('router properties', () => {
  it('never throws: any method and URL give a route or an HttpError in 400..599 with a message', () => {
    const method = fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'get', ''), fc.string());
    fc.assert(
      fc.property(method, anyUrl, (method, url) => {
        for (const r of [resolveRoute(method, url, '1.41'), matchRoute(method, url, '1.41')]) {
          if (!isHttpError(r)) expect(r.route.method).toBe(method);
          else expect(r.status >= 400 && r.status <= 599 && r.message.length > 0).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('matches every known route with its exact id, version prefix and query', () => {
    const routeCase = fc.constantFrom(...ROUTES).chain((route) => {
      const id = route.path.includes('{name*}')
        ? fc.oneof(imageRef, hex, encoded)
        : fc.oneof(hex, name, encoded);
      return fc.record({ route: fc.constant(route), id, prefix, slash: fc.boolean(), pairs });
    });
    fc.assert(
      fc.property(routeCase, ({ route, id, prefix, slash, pairs }) => {
        const search = new URLSearchParams(pairs).toString();
        const url = `${prefix}${withId(route.path, id)}${slash ? '/' : ''}${search ? `?${search}` : ''}`;
        const m = resolveRoute(route.method, url, '1.41') as MatchedRoute;
        expect(m.route).toBe(route);
        expect(m.id).toBe(route.path.includes('{') ? decodeURIComponent(id) : undefined);
        expect(m.version).toBe(prefix ? prefix.slice(2) : undefined);
        const first = new Map<string, string>();
        for (const [k, v] of pairs) if (!first.has(k)) first.set(k, v);
        expect(Object.entries(m.query).sort()).toEqual([...first].sort());
      }),
      { numRuns: 2000 },
    );
  });
});

// A live server. `handlers` is read per request, so one test can make `events` a stream.
const ok: OpHandler = (m) => reply(m, 'set', { status: 200, body: { ok: true } });
const handlers: Partial<Record<DockerOp, OpHandler>> = Object.fromEntries(ROUTES.map((r) => [r.op, ok]));
const down = responder(handlers);
const dir = tempDir();
const sock = `${dir.dir}/d.sock`;
let dockerServer: DockerServer;
let httpServer: Server;
beforeAll(async () => {
  const listen = vi.spyOn(Server.prototype, 'listen'); // DockerServer keeps its node:http server private
  dockerServer = await startServer(down, [`unix://${sock}`]);
  httpServer = listen.mock.contexts[0] as Server;
  listen.mockRestore();
});
afterAll(async () => {
  await dockerServer.stop();
  dir.cleanup();
});

/** `GET /_ping` on a connection of its own that the server closes after answering. */
const ping = () => raw(sock, 'GET', '/_ping', undefined, { Connection: 'close' });
/** Silence after which the client half-closes (the server may be waiting for more bytes). */
const QUIET_MS = 40;
/** Per-case limit: by then the server must have closed the connection. */
const CASE_MS = 3000;

/**
 * Sends `bytes` on a new connection (and calls `later` on the first bytes back), half-closes after
 * {@link QUIET_MS} of silence, and resolves with all the server sent once it closed.
 */
function exchange(bytes: Buffer, later?: (s: Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(sock);
    const got: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    const idle = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => s.end(), QUIET_MS);
    };
    const deadline = setTimeout(() => {
      s.destroy();
      reject(new Error(`server neither answered nor closed within ${CASE_MS} ms`));
    }, CASE_MS);
    s.on('data', (d: Buffer) => {
      got.push(d);
      if (later) later = void later(s);
      else idle();
    });
    s.on('error', () => {}); // a reset is a close too
    s.on('close', () => {
      clearTimeout(deadline);
      clearTimeout(quiet);
      resolve(Buffer.concat(got));
    });
    s.write(bytes, () => later || idle());
  });
}

/**
 * Splits the server's bytes into HTTP/1.1 responses and checks that every 4xx/5xx one with a body is
 * Docker's `{"message": "…"}` as application/json; throws on anything that is not HTTP/1.1.
 */
function parseAnswers(buf: Buffer, firstIsHead: boolean) {
  const out: { status: number; headers: Map<string, string>; body: Buffer }[] = [];
  function fail(what: string, at: number): never {
    throw new Error(`${what}: ${JSON.stringify(buf.subarray(at, at + 200).toString('latin1'))}`);
  }
  for (let at = 0; at < buf.length && out.at(-1)?.status !== 101; ) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) fail('unterminated response head', at);
    const [line = '', ...lines] = buf.subarray(at, end).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.1 ([1-5]\d\d) [^\r\n]*$/.exec(line)?.[1] ?? fail('no status line', at));
    if (lines.some((l) => l.indexOf(':') <= 0)) fail('bad header line', at);
    const headers = new Map(
      lines.map((l) => [l.split(':', 1)[0]!.toLowerCase(), l.replace(/^[^:]*:/, '').trim()]),
    );
    at = end + 4;
    // A HEAD answer has no body, but only the request handler knows it was a HEAD (it adds Api-Version):
    // node:http's clientError answer to a malformed request cannot know.
    const head = firstIsHead && !out.some((a) => a.status >= 200) && headers.has('api-version');
    const bodyless = head || status < 200 || status === 204 || status === 304;
    const parts: Buffer[] = [];
    // node:http's own answers (its 417) and streams come chunked.
    for (let size = -1; !bodyless && headers.get('transfer-encoding') === 'chunked' && size !== 0; ) {
      const eol = buf.indexOf('\r\n', at);
      size = Number.parseInt(buf.subarray(at, eol).toString('latin1'), 16);
      if (eol < 0 || !(size >= 0) || buf.toString('latin1', eol + 2 + size, eol + 4 + size) !== '\r\n')
        fail('bad chunk', at);
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      at = eol + 4 + size;
    }
    if (!bodyless && !headers.has('transfer-encoding')) {
      const length = Number(headers.get('content-length') ?? buf.length - at);
      if (!(at + length <= buf.length)) fail('body shorter than its Content-Length', at);
      parts.push(buf.subarray(at, at + length));
      at += length;
    }
    const body = Buffer.concat(parts);
    if (status >= 400 && body.length > 0) {
      expect(headers.get('content-type')).toBe('application/json');
      const parsed = JSON.parse(body.toString('utf8'));
      expect([Object.keys(parsed), typeof parsed.message]).toEqual([['message'], 'string']);
    }
    out.push({ status, headers, body });
  }
  return out;
}

const bytesOf = (s: string) => Buffer.from(s, 'latin1');
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const garbage = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 400 }).map((u) => Buffer.from(u)),
  fc.string({ unit: 'binary', minLength: 1 }).map((s) => Buffer.from(s)),
);
// Mostly well-formed pieces, so that many requests reach the handler; each odd piece is rarer.
const knownLine = fc
  .tuple(prefix, fc.constantFrom(...ROUTES), fc.oneof(hex, name))
  .map(([p, r, id]) => [r.method, `${p}${withId(r.path, id)}`] as const);
const oddLine = fc.tuple(
  fc.oneof(fc.constantFrom('GET', 'OPTIONS', 'PATCH', 'CONNECT', 'get'), token),
  fc.oneof(
    knownLine.map(([, path]) => path),
    anyUrl.map((u) => (u.startsWith('/') ? u : `/${u}`)).filter((u) => u.length < 6000),
    fc.constantFrom('*', 'http://x/_ping', '/v1.41', '/v9.99/', '/../../etc/passwd', '/containers/%zz/json'),
  ),
);
const header = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(token, fc.string({ maxLength: 40 })).map(([k, v]) => `${k}: ${v}`) },
  fc.tuple(token, fc.string({ unit: 'binary-ascii', maxLength: 40 })).map(([k, v]) => `${k}: ${v}`),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 40 }).filter((l) => !l.includes(':')),
  fc.constantFrom(
    ...['Expect: 100-continue', 'Expect: bogus', 'Connection: Upgrade\r\nUpgrade: tcp', 'Connection: close'],
    ...['Host: a\r\nHost: b', ' obs-folded', 'Content-Length: 1\r\nContent-Length: 2'],
  ),
  fc.integer({ min: 4000, max: 40_000 }).map((n) => `X-Huge: ${'h'.repeat(n)}`),
);
type Framed = (b: Buffer) => { head: string[]; b: Buffer };
const cl = (n: number | string): string[] => [`Content-Length: ${n}`];
const badLengths = ['abc', '-1', '1e3', '0x10', '', ' 5 5', '9'.repeat(25)];
/** Body framings: right, too short (the rest is a pipelined "request"), too long, non-numeric, chunked. */
const framing = fc.oneof(
  { weight: 5, arbitrary: fc.constant<Framed>((b) => ({ head: cl(b.length), b })) },
  fc.integer({ min: 1, max: 50 }).map<Framed>((k) => (b) => ({ head: cl(Math.max(0, b.length - k)), b })),
  fc.integer({ min: 1, max: 1e9 }).map<Framed>((k) => (b) => ({ head: cl(b.length + k), b })),
  fc.constantFrom(...badLengths).map<Framed>((v) => (b) => ({ head: cl(v), b })),
  fc.constantFrom('zz', '-1', '', 'f'.repeat(19), '1;x', null).map<Framed>((size) => (b) => ({
    head: ['Transfer-Encoding: chunked'],
    b: Buffer.concat([bytesOf(`${size ?? b.length.toString(16)}\r\n`), b, bytesOf('\r\n0\r\n\r\n')]),
  })),
  { weight: 2, arbitrary: fc.constant<Framed>((b) => ({ head: [], b })) },
);
const version = fc.oneof(
  { weight: 15, arbitrary: fc.constant('HTTP/1.1') },
  fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', ''),
);
const body = fc.oneof(fc.json().map(bytesOf), garbage, fc.constant(Buffer.alloc(0)));
const line = fc.oneof({ weight: 3, arbitrary: knownLine }, oddLine);
const request = fc
  .record({ line, version, headers: fc.array(header, { maxLength: 3 }), body, framing })
  .map(({ line: [method, path], version, headers, body, framing }) => {
    const { head, b } = framing(body);
    const lines = [`${method} ${path} ${version}`, 'Host: x', ...headers, ...head];
    return { method, bytes: Buffer.concat([bytesOf(`${lines.join('\r\n')}\r\n\r\n`), b]) };
  });

describe('raw bytes on the socket', () => {
  it('answer HTTP/1.1 (or close), with Docker JSON errors, and leave the server up', async () => {
    let answered = 0;
    const input = fc.oneof(
      { weight: 4, arbitrary: request },
      garbage.map((b) => ({ method: '', bytes: b })),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ method, bytes }) => {
        answered += parseAnswers(await exchange(bytes), method === 'HEAD').length > 0 ? 1 : 0;
        expect((await ping()).status).toBe(200);
      }),
      { numRuns: 150 },
    );
    expect(answered).toBeGreaterThan(100); // most cases really got an answer
  });

  it('answer a valid request (upgrade or not) first, then the garbage after it', async () => {
    const upgrade = 'Connection: Upgrade\r\nUpgrade: tcp\r\n'; // then the garbage is stdin, not a request
    await fc.assert(
      fc.asyncProperty(knownLine, fc.constantFrom('', upgrade), garbage, async ([method, path], up, junk) => {
        const valid = bytesOf(`${method} ${path} HTTP/1.1\r\nHost: x\r\n${up}Content-Length: 0\r\n\r\n`);
        const answers = parseAnswers(await exchange(Buffer.concat([valid, junk])), method === 'HEAD');
        expect(answers[0]?.status).toBe(200);
        expect(answers[0]?.headers.get('api-version')).toBe('1.41');
        expect(answers.slice(1).every((a) => a.status === 400)).toBe(true);
      }),
      // A HEAD answer on an upgraded socket used to carry a body: always try that one.
      { numRuns: 60, examples: [[['HEAD', '/_ping'], upgrade, Buffer.from('x')]] },
    );
  });

  it('never write an answer to garbage into a streamed body', async () => {
    const junk = garbage.map((g) => Buffer.concat([Buffer.from([1]), g])); // 0x01 starts no request
    await fc.assert(
      fc.asyncProperty(junk, async (j) => {
        const events = new PassThrough();
        handlers.events = (m) => reply(m, 'ack', { status: 200, mode: 'chunked', headers: {} }, events);
        // The stream ends only once the server has seen the garbage.
        httpServer.once('clientError', () => setImmediate(() => events.end('{"status":"two"}\n')));
        const got = exchange(bytesOf('GET /events HTTP/1.1\r\nHost: x\r\n\r\n'), (s) => {
          events.write('{"status":"one"}\n');
          s.write(j);
        });
        const answers = parseAnswers(await got, false);
        handlers.events = ok;
        expect(answers[0]?.body.toString()).toBe('{"status":"one"}\n{"status":"two"}\n');
        expect(answers.slice(1).map((a) => a.status)).toEqual([400]);
      }),
      { numRuns: 30 },
    );
  });
});

describe('JSON bodies of POST /containers/create', () => {
  const creates = () => down.received.filter((m) => m.args.op === 'container.create');
  const headers = { 'Content-Type': 'application/json', Connection: 'close' };
  const post = (b: Buffer) => raw(sock, 'POST', '/v1.41/containers/create', b, headers);
  const parses = (text: string) => {
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false;
    }
  };

  it('forwards exactly the parsed value of any JSON text', async () => {
    const indent = fc.constantFrom(undefined, 1, '\t');
    const text = fc.tuple(fc.jsonValue(), indent).map(([v, i]) => JSON.stringify(v, null, i));
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const before = creates().length;
        expect((await post(Buffer.from(t))).status).toBe(200);
        expect(creates()).toHaveLength(before + 1);
        expect(creates().at(-1)?.args.body).toEqual(JSON.parse(t));
      }),
      { numRuns: 150 },
    );
  });

  it('answers 400 to anything that is not JSON and never forwards it', async () => {
    const spaces = fc.constantFrom(' ', '\u00a0', '\ufeff', '\u2028', '\v', '\f', '1', '{}');
    const notJson = fc
      .oneof(
        fc.json().map((j) => Buffer.from(j.slice(0, -1))),
        fc.array(spaces, { minLength: 1 }).map((a) => Buffer.from(a.join(''))),
        garbage,
      )
      // JSON whitespace alone is an empty body. Lenient UTF-8 decoding on purpose: dockerd's Go
      // decoder also replaces invalid sequences.
      .filter((b) => !/^[ \t\r\n]*$/.test(b.toString()) && !parses(b.toString()));
    await fc.assert(
      fc.asyncProperty(notJson, async (b) => {
        const before = creates().length;
        const res = await post(b);
        expect([res.status, res.headers['content-type']]).toEqual([400, 'application/json']);
        expect(JSON.parse(res.body).message).toMatch(/^invalid JSON in request body: /);
        expect(creates()).toHaveLength(before);
      }),
      { numRuns: 150 },
    );
  });
});

describe('afterwards', () => {
  it('the server is up and holds no connection', async () => {
    expect((await ping()).status).toBe(200);
    // getConnections answers on the next tick: poll it (5 ms apart, 5 s at most).
    const open = () => new Promise<number>((r, j) => httpServer.getConnections((e, n) => (e ? j(e) : r(n))));
    await until(async () => (await open()) === 0, 5_000, 'no connection open', 5);
    expect(await open()).toBe(0);
  });
});
