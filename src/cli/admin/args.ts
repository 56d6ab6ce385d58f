/**
 * swarmd's admin flags: `--admin <url>` (`http://host:port`, `https://host:port` with
 * `--admin-tlscert/--admin-tlskey`, or `unix:///path`), `--admin-token-file F` / `--admin-token T`.
 * Like `listen` and `dockerserver`, a listener that authenticates nobody is refused off loopback.
 * @module
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ErrorCode, SwarmError } from '../../errors.js';

/** Where and how the admin server listens. */
export interface AdminConfig {
  /** `tcp` with host and port, or `unix` with path. */
  address: { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };
  /** Bearer token every route but `/healthz` and `/readyz` needs; none on loopback by default. */
  token?: string;
  /** PEM key pair: serve HTTPS. */
  tls?: { cert: string; key: string };
}

/** Shorter admin tokens are refused (16 random bytes cannot be guessed online). */
export const MIN_ADMIN_TOKEN_BYTES = 16;

const FLAGS = ['--admin', '--admin-token', '--admin-token-file', '--admin-tlscert', '--admin-tlskey'];

function bad(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, message);
}

/**
 * Takes the admin flags out of `argv` (before swarmd's own parser sees it). Returns the rest and the
 * config, `undefined` when `--admin` was not given. Throws `SWARM_ERR_INVALID_ARGUMENT` with the fix.
 */
export function takeAdminArgs(argv: string[]): { rest: string[]; admin: AdminConfig | undefined } {
  const rest: string[] = [];
  const got = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!FLAGS.includes(name)) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw bad(`${name} needs a value (see swarmd --help)`);
    got.set(name, value);
  }
  const url = got.get('--admin');
  if (url === undefined) {
    const stray = [...got.keys()][0];
    if (stray) throw bad(`${stray} needs --admin <url>`);
    return { rest, admin: undefined };
  }
  return { rest, admin: adminConfig(url, got) };
}

function adminConfig(url: string, got: Map<string, string>): AdminConfig {
  const read = (flag: string) => {
    const file = got.get(flag);
    if (file === undefined) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw bad(`${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const config: AdminConfig = { address: parseAdminUrl(url) };
  const token = got.get('--admin-token') ?? read('--admin-token-file')?.replace(/\r?\n$/, '');
  if (token !== undefined) {
    if (Buffer.byteLength(token) < MIN_ADMIN_TOKEN_BYTES)
      throw bad(
        `--admin-token: shorter than ${MIN_ADMIN_TOKEN_BYTES} bytes; make one with \`openssl rand -hex 16 > F\` and pass --admin-token-file F`,
      );
    config.token = token;
  }
  const cert = read('--admin-tlscert');
  const key = read('--admin-tlskey');
  if ((cert === undefined) !== (key === undefined))
    throw bad('--admin-tlscert and --admin-tlskey go together');
  if (cert !== undefined && key !== undefined) config.tls = { cert, key };
  const scheme = url.slice(0, url.indexOf(':'));
  if (scheme === 'https' && !config.tls)
    throw bad('--admin https://… needs --admin-tlscert and --admin-tlskey');
  if (scheme === 'http' && config.tls) throw bad('--admin-tlscert given: use --admin https://…');
  const a = config.address;
  if (a.kind === 'tcp' && !isLoopback(a.host) && config.token === undefined)
    throw bad(
      `--admin ${url}: the admin page shows the whole chain and would be open to anyone who reaches ${a.host}. ` +
        'Fix: listen on 127.0.0.1, or add --admin-token-file F (and --admin-tlscert/--admin-tlskey with https://)',
    );
  return config;
}

/** Parses `http://host:port`, `https://host:port` or `unix:///path`. */
export function parseAdminUrl(url: string): AdminConfig['address'] {
  if (url.startsWith('unix://')) {
    const path = url.slice('unix://'.length);
    if (!path.startsWith('/')) throw bad(`--admin ${url}: unix socket path must be absolute`);
    return { kind: 'unix', path };
  }
  const m = /^https?:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(url);
  if (!m) throw bad(`--admin ${url}: use http://127.0.0.1:PORT, https://host:PORT or unix:///path`);
  const port = Number(m[2]);
  if (port > 65535) throw bad(`--admin ${url}: port out of range`);
  return { kind: 'tcp', host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}

/** True for `localhost`, 127.0.0.0/8 and ::1. */
function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}
