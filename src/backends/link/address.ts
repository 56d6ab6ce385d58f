/**
 * Shared argument handling of the link stages (`listen`, `remote`): the libchan URL
 * (unix/tcp/tls/ws/wss), the auth flags, and opening a session or a listener for them.
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ErrorCode, SwarmError } from '../../errors.js';
import { type Listener, type Session, tcp, tls, unix, ws } from '../../libchan/index.js';

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
  token?: string;
  tlscert?: string;
  tlskey?: string;
  tlscacert?: string;
  insecure: boolean;
  deadlineMs?: number;
}

const bad = (stage: string, msg: string) => new SwarmError(ErrorCode.InvalidArgument, `${stage}: ${msg}`);

/** Parses `<url> [--token T] [--tlscert F --tlskey F --tlscacert F] [--insecure] [--deadline ms]`. */
export function parseLinkArgs(
  stage: string,
  args: string[],
  allowed: ReadonlySet<string>,
): { url: LinkUrl; flags: LinkFlags } {
  const flags: LinkFlags = { insecure: false };
  let urlText: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (!a.startsWith('--')) {
      if (urlText !== undefined) throw bad(stage, `unexpected argument "${a}" (one URL only)`);
      urlText = a;
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (!allowed.has(name)) throw bad(stage, `unknown option --${name} (see swarmd --help)`);
    if (name === 'insecure') {
      flags.insecure = true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw bad(stage, `--${name} needs a value`);
    if (name === 'deadline') {
      const ms = Number(value);
      if (!Number.isFinite(ms) || ms <= 0)
        throw bad(stage, `--deadline wants milliseconds > 0, got "${value}"`);
      flags.deadlineMs = ms;
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
  return { url, flags };
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

/** Opens a client session to `url`. */
export function connectLink(stage: string, url: LinkUrl, flags: LinkFlags): Promise<Session> {
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

/** Listens on `url`; each accepted session goes to `onSession`. */
export function listenLink(
  stage: string,
  url: LinkUrl,
  flags: LinkFlags,
  onSession: (s: Session) => void,
): Promise<Listener> {
  switch (url.scheme) {
    case 'unix':
      return unix.listen({ path: url.path }, onSession);
    case 'tcp':
      return tcp.listen({ host: url.host, port: url.port }, onSession);
    case 'tls':
      return tls.listen({ host: url.host, port: url.port, tls: material(stage, flags, true) }, onSession);
    case 'ws':
      return ws.listen({ host: url.host, port: url.port, path: url.path }, onSession);
    case 'wss':
      return ws.listen(
        { host: url.host, port: url.port, path: url.path, tls: material(stage, flags, true) },
        onSession,
      );
  }
}
