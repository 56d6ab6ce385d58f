/**
 * Where and how the Docker front door listens: argument parsing (`unix://`, `tcp://`, TLS options,
 * `--insecure`), the per-user default socket, refusing plain TCP off loopback, and replacing a stale
 * unix socket file only when nothing answers on it.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SwarmError } from '../../errors.js';
import { clearStaleSocket as clearSocketPath } from '../../libchan/transports/unix-path.js';
import { IDENTITY_RULE, type IdentitySource, isIdentity } from './http-identity.js';
import { DEFAULT_LIMITS, LIMIT_FLAGS_USAGE, parseLimitFlag, type ServerLimits } from './http-limits.js';

/** A listening address. */
export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** TLS material, already read from disk. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** Require and verify client certificates against `ca` (dockerd's `--tlsverify`). */
  verify: boolean;
}

/** Parsed dockerserver arguments. */
export interface ServerOptions {
  address: ListenAddress;
  tls?: TlsMaterial;
  insecure: boolean;
  /** Seconds to wait for a stage's first answer (stop/restart add their own `t`). */
  timeoutSeconds: number;
  /** Connections, header/request deadlines, pending upgrades. */
  limits: ServerLimits;
  /** How this listener names its clients: `--identity NAME`, or with `--tlsverify` each certificate's CN. */
  identity?: IdentitySource;
}

/** Usage line shared by the stage definition and argument errors. */
export const DOCKERSERVER_USAGE =
  'dockerserver [unix:///path | tcp://host:port] [--tlscert F --tlskey F [--tlscacert F] [--tlsverify]] [--identity NAME] [--insecure] [--timeout SECONDS] ' +
  LIMIT_FLAGS_USAGE;

const UNIX_PATH_MAX = 107;

function invalid(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `dockerserver: ${message}\nusage: ${DOCKERSERVER_USAGE}`);
}

/** `$XDG_RUNTIME_DIR/swarmd.sock`, else `<tmpdir>/swarmd-<uid>.sock`: private to the user, like rootless dockerd. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'swarmd.sock');
  return join(tmpdir(), `swarmd-${process.getuid?.() ?? 'user'}.sock`);
}

/** Renders an address the way docker's `-H` takes it. */
export function formatAddress(a: ListenAddress): string {
  if (a.kind === 'unix') return `unix://${a.path}`;
  return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

/** True for `localhost`, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Parses `unix:///path`, a bare absolute path, or `tcp://host[:port]`. */
export function parseListenAddress(spec: string, tls: boolean): ListenAddress {
  if (spec.startsWith('unix://') || spec.startsWith('/')) {
    const path = spec.startsWith('unix://') ? spec.slice('unix://'.length) : spec;
    if (!path.startsWith('/')) throw invalid(`unix socket path must be absolute: ${spec}`);
    if (Buffer.byteLength(path) > UNIX_PATH_MAX) {
      throw invalid(`unix socket path is longer than ${UNIX_PATH_MAX} bytes: ${path}`);
    }
    return { kind: 'unix', path };
  }
  if (spec.startsWith('tcp://')) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw invalid(`malformed address ${spec}; expected tcp://host:port`);
    }
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (host === '') throw invalid(`missing host in ${spec}`);
    const port = url.port === '' ? (tls ? 2376 : 2375) : Number(url.port);
    return { kind: 'tcp', host, port };
  }
  throw invalid(`unsupported address ${spec}; use unix:///path or tcp://host:port`);
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalid(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
}

/** Parses and validates dockerserver's arguments (reads TLS files). Throws SWARM_ERR_INVALID_ARGUMENT with a fix. */
export function parseServerArgs(args: readonly string[]): ServerOptions {
  const files: Record<string, string> = {};
  let verify = false;
  let insecure = false;
  let timeoutSeconds = 120;
  const limits: ServerLimits = { ...DEFAULT_LIMITS };
  let headerTimeoutGiven = false;
  let spec: string | undefined;
  let identity: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string?]) : [arg];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw invalid(`${flag} needs a value`);
      return v;
    };
    if (flag === '--tlscert' || flag === '--tlskey' || flag === '--tlscacert') files[flag] = value();
    else if (flag === '--tlsverify') verify = true;
    else if (flag === '--insecure') insecure = true;
    else if (flag === '--identity') identity = value();
    else if (flag === '--timeout') {
      timeoutSeconds = Number(value());
      if (!(timeoutSeconds > 0)) throw invalid(`--timeout must be a positive number of seconds`);
    } else if (parseLimitFlag(limits, flag, value, invalid)) {
      headerTimeoutGiven ||= flag === '--header-timeout';
    } else if (flag.startsWith('-')) throw invalid(`unknown option ${flag}`);
    else if (spec === undefined) spec = arg;
    else throw invalid(`more than one address given (${spec}, ${arg})`);
  }
  // node:http refuses a header deadline past the request deadline; a shorter request deadline alone
  // shortens the header one with it.
  if (limits.headerTimeoutMs > limits.requestTimeoutMs) {
    if (headerTimeoutGiven) throw invalid('--header-timeout cannot be longer than --request-timeout');
    limits.headerTimeoutMs = limits.requestTimeoutMs;
  }
  const cert = files['--tlscert'];
  const key = files['--tlskey'];
  const ca = files['--tlscacert'];
  if ((cert === undefined) !== (key === undefined)) throw invalid('--tlscert and --tlskey go together');
  if (verify && (cert === undefined || ca === undefined)) {
    throw invalid(
      '--tlsverify needs --tlscert, --tlskey and --tlscacert (the CA that signs client certificates)',
    );
  }
  if (ca !== undefined && cert === undefined) throw invalid('--tlscacert needs --tlscert and --tlskey');

  if (identity !== undefined && !isIdentity(identity))
    throw invalid(`--identity ${JSON.stringify(identity)}: use ${IDENTITY_RULE}`);
  // One source per listener: a fixed name would silently override the certificates' names.
  if (identity !== undefined && verify)
    throw invalid(
      "--identity and --tlsverify both name the clients: with --tlsverify each verified client certificate's CN is its identity; drop --identity (or --tlsverify)",
    );

  const useTls = cert !== undefined;
  const address = parseListenAddress(spec ?? `unix://${defaultSocketPath()}`, useTls);
  if (address.kind === 'tcp' && !useTls && !insecure && !isLoopback(address.host)) {
    throw invalid(
      `refusing to serve the Docker API unencrypted on ${formatAddress(address)}: anyone who can reach it owns the host. ` +
        'Use --tlscert/--tlskey/--tlscacert with --tlsverify, listen on 127.0.0.1, or pass --insecure if you really mean it',
    );
  }
  const options: ServerOptions = { address, insecure, timeoutSeconds, limits };
  if (identity !== undefined) options.identity = { kind: 'fixed', name: identity };
  else if (verify) options.identity = { kind: 'certificate' };
  if (useTls) {
    options.tls = { cert: readPem('--tlscert', cert), key: readPem('--tlskey', key!), verify };
    if (ca !== undefined) options.tls.ca = readPem('--tlscacert', ca);
  }
  return options;
}

/**
 * Makes `path` free for a new listener (the rule every unix listener shares, see unix-path.ts): a
 * stale socket is removed; a live socket or a non-socket file is an error naming the fix.
 */
export function clearStaleSocket(path: string): Promise<void> {
  return clearSocketPath(path, 'dockerserver');
}

/** Starts `server` listening on `address`; rejects with a clear error (EADDRINUSE, EACCES…). */
export function listenOn(server: Server, address: ListenAddress): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(invalid(`cannot listen on ${formatAddress(address)}: ${err.code ?? ''} ${err.message}`));
    };
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen(address.path, done);
    else server.listen(address.port, address.host, done);
  });
}
