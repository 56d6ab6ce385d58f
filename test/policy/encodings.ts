/**
 * The corpus's request shapes in every encoding issue 14 names: API version prefix or none,
 * URL-encoded path, case-variant / duplicate / \u-escaped keys, chunked body, a body padded past
 * 1 MiB, a charset content type, and `Content-Length: 0` with the body behind it.
 * @module
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** One request of a corpus file. */
export interface CorpusCase {
  name: string;
  method: string;
  /** Path and query without a version prefix; `{id}` and `{name}` are filled in by the test. */
  path: string;
  body?: unknown;
  /** The rule that must refuse it (deny corpus). */
  rule?: string;
  /** Where it applies: through the chain, through the AuthZ plugin. */
  modes?: string[];
  /** A container the request needs: created, running or exited. */
  needs?: 'created' | 'running' | 'exited';
  note?: string;
}

/** The encodings. */
export const ENCODINGS = [
  'v1.41',
  'unversioned',
  'v1.24',
  'url-encoded',
  'lowercase-keys',
  'duplicate-keys',
  'escaped-keys',
  'chunked',
  'padded-1MiB',
  'charset',
  'content-length-0',
] as const;
export type Encoding = (typeof ENCODINGS)[number];

/** The encodings that only change a body: a case without one is not sent in them. */
export const BODY_ENCODINGS: readonly Encoding[] = [
  'lowercase-keys',
  'duplicate-keys',
  'escaped-keys',
  'chunked',
  'padded-1MiB',
  'charset',
  'content-length-0',
];

/** The corpus file `f` (test/policy/corpus/). */
export function loadCorpus(f: string): CorpusCase[] {
  return JSON.parse(readFileSync(new URL(`./corpus/${f}`, import.meta.url), 'utf8')) as CorpusCase[];
}

function mapKeys(v: unknown, f: (k: string) => string): string {
  if (Array.isArray(v)) return `[${v.map((x) => mapKeys(x, f)).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${f(k)}:${mapKeys(x, f)}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/** A harmless value of the same JSON type (what a duplicate before the real member says). */
function innocent(v: unknown): string {
  if (typeof v === 'boolean') return 'false';
  if (typeof v === 'string') return '""';
  if (typeof v === 'number') return '0';
  if (Array.isArray(v)) return '[]';
  return v && typeof v === 'object' ? '{}' : 'null';
}

/** Each member preceded by a lower-case duplicate with a harmless value: Go (and JSON.parse) keep the last. */
function duplicated(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(duplicated).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(
        ([k, x]) => `${JSON.stringify(k.toLowerCase())}:${innocent(x)},${JSON.stringify(k)}:${duplicated(x)}`,
      )
      .join(',')}}`;
  return JSON.stringify(v);
}

const escapeAll = (k: string) =>
  `"${[...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;

/** The body text of `c` in `enc`. */
export function bodyText(c: CorpusCase, enc: Encoding): string | undefined {
  if (c.body === undefined || c.body === null) return undefined;
  if (enc === 'lowercase-keys') return mapKeys(c.body, (k) => JSON.stringify(k.toLowerCase()));
  if (enc === 'duplicate-keys') return duplicated(c.body);
  if (enc === 'escaped-keys') return mapKeys(c.body, escapeAll);
  if (enc === 'padded-1MiB') return `${' '.repeat(1_100_000)}${JSON.stringify(c.body)}`;
  return JSON.stringify(c.body);
}

/** The raw request bytes of `c` in `enc` (`path` already filled in). */
export function rawRequest(c: CorpusCase, path: string, enc: Encoding): Buffer {
  let target = `/v1.41${path}`;
  if (enc === 'unversioned') target = path;
  if (enc === 'v1.24') target = `/v1.24${path}`;
  if (enc === 'url-encoded') {
    const q = target.indexOf('?');
    const p = q < 0 ? target : target.slice(0, q);
    // the last segment's letters percent-encoded: dockerd decodes the path before routing
    const i = p.lastIndexOf('/');
    const last = [...p.slice(i + 1)].map((ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    target = `${p.slice(0, i + 1)}${last}${q < 0 ? '' : target.slice(q)}`;
  }
  const body = bodyText(c, enc);
  const headers: string[] = ['Host: docker', 'Connection: close'];
  let payload = Buffer.alloc(0);
  if (body !== undefined) {
    headers.push(`Content-Type: application/json${enc === 'charset' ? '; charset=utf-8' : ''}`);
    const bytes = Buffer.from(body);
    if (enc === 'chunked') {
      headers.push('Transfer-Encoding: chunked');
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 7) {
        const chunk = bytes.subarray(i, i + 7);
        parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
      }
      parts.push(Buffer.from('0\r\n\r\n'));
      payload = Buffer.concat(parts);
    } else if (enc === 'content-length-0') {
      headers.push('Content-Length: 0');
      payload = bytes;
    } else {
      headers.push(`Content-Length: ${bytes.length}`);
      payload = bytes;
    }
  } else if (c.method === 'POST') headers.push('Content-Length: 0');
  return Buffer.concat([
    Buffer.from(`${c.method} ${target} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`),
    payload,
  ]);
}

/** An answer read off the socket: status and body of the first response. */
export interface RawAnswer {
  status: number;
  body: string;
}

/** Sends `bytes` on a unix socket and reads the first answer (until close or a complete Content-Length body). */
export function exchange(socketPath: string, bytes: Buffer, timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const s = connect(socketPath);
    let got = Buffer.alloc(0);
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      const text = got.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const status = Number(text.split(' ')[1]);
      let body = end < 0 ? '' : got.subarray(end + 4).toString('utf8');
      if (/transfer-encoding: chunked/i.test(text.slice(0, end))) body = dechunk(body);
      resolve({ status, body });
    };
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms; got ${got.toString('latin1').slice(0, 200)}`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const text = got.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && len !== undefined && got.length - end - 4 >= Number(len)) done();
    });
    s.on('close', done);
    s.on('error', () => {});
    s.write(bytes);
  });
}

function dechunk(s: string): string {
  let out = '';
  let rest = s;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    if (nl < 0) return out;
    const n = Number.parseInt(rest.slice(0, nl), 16);
    if (!n) return out;
    out += rest.slice(nl + 2, nl + 2 + n);
    rest = rest.slice(nl + 2 + n + 2);
  }
}
