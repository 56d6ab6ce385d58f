/**
 * Shared argument handling of the link stages (`listen`, `remote`): the libchan URL
 * (unix/tcp/tls/ws/wss), the auth flags, and opening a session or a listener for them.
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ErrorCode, SwarmError } from '../../errors.js';
import {
  type Listener,
  type ListenerLimits,
  type Session,
  type SessionOptions,
  tcp,
  tls,
  unix,
  ws,
} from '../../libchan/index.js';
import { redactSecrets } from '../secrets.js';
import type { LinkTraffic } from './traffic.js';

/** A parsed link address. */
export interface LinkUrl {
  scheme: 'unix' | 'tcp' | 'tls' | 'ws' | 'wss';
  /** The URL as typed, for logs and error messages. */
  text: string;
  host: string;
  port: number;
  /** Socket path (unix) or URL path (ws/wss). */
  path: string;
}

/** Flags shared by `listen` and `remote`. */
export interface LinkFlags {
  /** The shared secret, from `--token`, `--token-file` or {@link TOKEN_ENV}. Never logged. */
  token?: string;
  /** Where the token came from, for startup lines: `--token`, `--token-file F`, `$SWARMD_TOKEN`. */
  tokenSource?: string;
  tokenFile?: string;
  tlscert?: string;
  tlskey?: string;
  tlscacert?: string;
  insecure: boolean;
  /** listen: pass `control` messages of authenticated peers on to the chain. */
  allowControl: boolean;
  deadlineMs?: number;
  /** listen: connections open at once (`--max-connections`); more are closed at accept. */
  maxConnections?: number;
}

/** What `listen` adds to every transport's listen options: pre-auth limits (on `clock`), the connection cap. */
export type ListenLimits = Pick<SessionOptions, 'preAuth' | 'clock'> & ListenerLimits;

/** The environment variable a link stage reads its token from when neither flag gives one. */
export const TOKEN_ENV = 'SWARMD_TOKEN';
/** Shorter tokens are refused unless `--insecure`: 16 random bytes cannot be guessed online. */
export const MIN_TOKEN_BYTES = 16;
const BOOLEAN_FLAGS = new Set(['insecure', 'allow-control']);

const bad = (stage: string, msg: string) => new SwarmError(ErrorCode.InvalidArgument, `${stage}: ${msg}`);

/**
 * Parses `<url> [--token T | --token-file F] [--tlscert F --tlskey F --tlscacert F] [--insecure]
 * [--allow-control] [--deadline ms]`; only the options in `allowed` are accepted. Without a token
 * flag, a stage that takes one reads {@link TOKEN_ENV} from `env`.
 */
export function parseLinkArgs(
  stage: string,
  args: string[],
  allowed: ReadonlySet<string>,
  env: NodeJS.ProcessEnv = process.env,
): { url: LinkUrl; flags: LinkFlags } {
  const flags: LinkFlags = { insecure: false, allowControl: false };
  let urlText: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      if (urlText !== undefined) throw bad(stage, `unexpected argument "${redactSecrets(a)}" (one URL only)`);
      urlText = a;
      continue;
    }
    // Split at the first '=' only: a token may itself contain '='.
    const eq = a.indexOf('=');
    const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
    const inline = eq < 0 ? undefined : a.slice(eq + 1);
    if (!allowed.has(name)) throw bad(stage, `unknown option --${name} (see swarmd --help)`);
    if (BOOLEAN_FLAGS.has(name)) {
      if (name === 'insecure') flags.insecure = true;
      else flags.allowControl = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw bad(stage, `--${name} needs a value`);
    if (name === 'deadline') {
      const ms = Number(value);
      if (!Number.isFinite(ms) || ms <= 0)
        throw bad(stage, `--deadline wants milliseconds > 0, got "${value}"`);
      flags.deadlineMs = ms;
    } else if (name === 'max-connections') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw bad(stage, `--max-connections wants an integer >= 1, got "${value}"`);
      flags.maxConnections = n;
    } else if (name === 'token-file') {
      flags.tokenFile = value;
    } else {
      (flags as unknown as Record<string, string>)[name] = value;
    }
  }
  if (urlText === undefined)
    throw bad(stage, 'missing URL (unix:///path, tcp://host:port, tls://, ws://, wss://)');
  const url = parseLinkUrl(stage, urlText);
  const tlsScheme = url.scheme === 'tls' || url.scheme === 'wss';
  if (!tlsScheme && (flags.tlscert || flags.tlskey || flags.tlscacert)) {
    throw bad(stage, `--tls* options need a tls:// or wss:// URL, got ${url.text}`);
  }
  if (Boolean(flags.tlscert) !== Boolean(flags.tlskey))
    throw bad(stage, '--tlscert and --tlskey go together');
  if (allowed.has('token')) resolveToken(stage, flags, env);
  return { url, flags };
}

/** Fills `flags.token` from `--token-file` or the environment and checks its strength. */
function resolveToken(stage: string, flags: LinkFlags, env: NodeJS.ProcessEnv): void {
  if (flags.tokenFile !== undefined) {
    if (flags.token !== undefined) throw bad(stage, 'give --token or --token-file, not both');
    let text: string;
    try {
      text = readFileSync(flags.tokenFile, 'utf8');
    } catch (err) {
      throw bad(
        stage,
        `--token-file ${flags.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    // One trailing newline is what `echo … > F` and editors add; it is not part of the secret.
    flags.token = text.replace(/\r?\n$/, '');
    if (flags.token === '') throw bad(stage, `--token-file ${flags.tokenFile} is empty`);
    flags.tokenSource = `--token-file ${flags.tokenFile}`;
  } else if (flags.token !== undefined) {
    flags.tokenSource = '--token';
  } else if (env[TOKEN_ENV]) {
    flags.token = env[TOKEN_ENV];
    flags.tokenSource = `$${TOKEN_ENV}`;
  }
  if (flags.token === undefined) return;
  const bytes = Buffer.byteLength(flags.token);
  if (bytes < MIN_TOKEN_BYTES && !flags.insecure) {
    throw bad(
      stage,
      `the token (${flags.tokenSource}) is ${bytes} bytes; use at least ${MIN_TOKEN_BYTES} ` +
        '(e.g. `openssl rand -hex 16 > F` and --token-file F), or pass --insecure to accept a guessable token',
    );
  }
}

/** Parses one link URL. */
export function parseLinkUrl(stage: string, text: string): LinkUrl {
  const m = /^(unix|tcp|tls|ws|wss):\/\/(.*)$/.exec(text);
  if (!m)
    throw bad(stage, `unsupported URL "${text}"; use unix:///path, tcp://host:port, tls://, ws:// or wss://`);
  const scheme = m[1] as LinkUrl['scheme'];
  if (scheme === 'unix') {
    if (!m[2]) throw bad(stage, `${text}: missing socket path`);
    return { scheme, text, host: '', port: 0, path: m[2] as string };
  }
  // Parsed by hand: WHATWG URL drops a scheme's default port (ws://h:80 → no port).
  const hp = /^(\[[^\]]+\]|[^:/[\]]+):(\d{1,5})(\/.*)?$/.exec(m[2] as string);
  if (!hp)
    throw bad(stage, `${text}: expected ${scheme}://host:port${scheme.startsWith('ws') ? '[/path]' : ''}`);
  const port = Number(hp[2]);
  if (port > 65535) throw bad(stage, `${text}: port out of range`);
  const host = (hp[1] as string).replace(/^\[|\]$/g, '');
  return { scheme, text, host, port, path: hp[3] ?? '/' };
}

/** True for 127.0.0.0/8, ::1 and localhost: addresses nobody else can reach. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function material(stage: string, flags: LinkFlags, server: boolean): tls.TlsMaterial {
  const read = (flag: string, file: string | undefined) => {
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw bad(stage, `--${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const key = read('tlskey', flags.tlskey);
  const cert = read('tlscert', flags.tlscert);
  const ca = read('tlscacert', flags.tlscacert);
  return {
    ...(key ? { key } : {}),
    ...(cert ? { cert } : {}),
    ...(ca ? { ca } : {}),
    // A listener given a CA demands client certificates signed by it (mutual TLS).
    ...(server && ca ? { requestCert: true, rejectUnauthorized: true } : {}),
  };
}

/** Opens a client session to `url`; its bytes and messages count in `traffic` when given. */
export async function connectLink(
  stage: string,
  url: LinkUrl,
  flags: LinkFlags,
  traffic?: LinkTraffic,
): Promise<Session> {
  const session = await dialLink(stage, url, flags);
  return traffic ? traffic.track(session) : session;
}

function dialLink(stage: string, url: LinkUrl, flags: LinkFlags): Promise<Session> {
  switch (url.scheme) {
    case 'unix':
      return unix.connect({ path: url.path });
    case 'tcp':
      return tcp.connect({ host: url.host, port: url.port });
    case 'tls':
      return tls.connect({ host: url.host, port: url.port, tls: material(stage, flags, false) });
    case 'ws':
      return ws.connect({ url: url.text });
    case 'wss':
      return ws.connect({ url: url.text, tls: material(stage, flags, false) });
  }
}

/**
 * Listens on `url`; each accepted session goes to `onSession` (and counts in `traffic` when given,
 * from its first byte).
 */
export function listenLink(
  stage: string,
  url: LinkUrl,
  flags: LinkFlags,
  accepted: (s: Session) => void,
  limits: ListenLimits = {},
  traffic?: LinkTraffic,
): Promise<Listener> {
  const onSession = traffic ? (s: Session) => accepted(traffic.track(s)) : accepted;
  switch (url.scheme) {
    case 'unix':
      return unix.listen({ path: url.path, ...limits }, onSession);
    case 'tcp':
      return tcp.listen({ host: url.host, port: url.port, ...limits }, onSession);
    case 'tls':
      return tls.listen(
        { host: url.host, port: url.port, tls: material(stage, flags, true), ...limits },
        onSession,
      );
    case 'ws':
      return ws.listen({ host: url.host, port: url.port, path: url.path, ...limits }, onSession);
    case 'wss':
      return ws.listen(
        { host: url.host, port: url.port, path: url.path, tls: material(stage, flags, true), ...limits },
        onSession,
      );
  }
}
