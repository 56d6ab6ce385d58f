/**
 * Where a daemon is and how to reach it: the `dockerclient` stage's arguments (an address plus the
 * docker CLI's TLS flags) parsed into an {@link EngineAddress} and {@link TlsFiles}.
 * @module
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, SwarmError } from '../../errors.js';
import { checkSshOption, parseSshAddress, type SshTarget } from './engine-ssh.js';

/** A parsed daemon address. */
export type EngineAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** TLS material for a tcp daemon, DOCKER_CERT_PATH-style. */
export interface TlsFiles {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Verify the daemon's certificate against `ca` (`--tlsverify`). */
  verify: boolean;
}

/** What `dockerclient` was given. */
export interface EngineArgs {
  address: string;
  tls?: TlsFiles;
  /** `--connections N`: pooled keep-alive sockets for plain calls. */
  connections?: number;
  /** `--streams N`: most long-lived streams and hijacks (attach, exec, logs -f, events, wait) at once. */
  streams?: number;
  /** For `ssh://…`: how every connection reaches the remote daemon (`docker system dial-stdio`). */
  ssh?: SshTarget;
}

/** The usage line of the dockerclient stage. */
export const DOCKERCLIENT_USAGE =
  'dockerclient <unix:///path | tcp://host:port | ssh://user@host[:port]> [--tls] [--tlsverify] [--tlscacert F] [--tlscert F] [--tlskey F] [--ssh-identity F] [--ssh-option K=V]… [--connections N] [--streams N]';

function invalid(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `${message}\nusage: ${DOCKERCLIENT_USAGE}`);
}

/** Parses `unix:///path`, `tcp://host:port`, `http(s)://host:port` (tcp port defaults to 2375, 2376 with TLS). */
export function parseEngineAddress(address: string, tls = false): EngineAddress {
  if (address.startsWith('unix://')) {
    const path = address.slice('unix://'.length);
    if (!path.startsWith('/')) throw invalid(`unix address needs an absolute path: ${address}`);
    return { kind: 'unix', path };
  }
  const m = /^(?:tcp|https?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d+))?\/?$/.exec(address);
  if (!m)
    throw invalid(`not a daemon address: ${JSON.stringify(address)} (want unix:///path or tcp://host:port)`);
  const port = m[2] === undefined ? (tls ? 2376 : 2375) : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`bad port in ${address}`);
  return { kind: 'tcp', host: (m[1] ?? '').replace(/^\[|\]$/g, ''), port };
}

/** Runs `fn`, adding the usage line to an InvalidArgument it throws. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

function read(file: string, flag: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw invalid(`${flag} ${file}: ${(err as Error).message}`);
  }
}

/**
 * Parses the stage arguments. TLS files default to `$DOCKER_CERT_PATH/{ca,cert,key}.pem` (else
 * `~/.docker`) like the docker CLI; `--tls` encrypts without verifying, `--tlsverify` also verifies.
 */
export function parseEngineArgs(args: readonly string[], env = process.env): EngineArgs {
  let address: string | undefined;
  let tls = false;
  let verify = false;
  const files: { ca?: string; cert?: string; key?: string } = {};
  const limits: { connections?: number; streams?: number } = {};
  let identity: string | undefined;
  const sshOptions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = (what = 'a file') => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw invalid(`${flag} needs ${what}`);
      return v;
    };
    const count = () => {
      const v = value('a number');
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < 1)
        throw invalid(`${flag} needs a whole number ≥ 1, got ${JSON.stringify(v)}`);
      return n;
    };
    if (flag === '--tls') tls = true;
    else if (flag === '--connections') limits.connections = count();
    else if (flag === '--streams') limits.streams = count();
    else if (flag === '--tlsverify') tls = verify = true;
    else if (flag === '--tlscacert') files.ca = value();
    else if (flag === '--tlscert') files.cert = value();
    else if (flag === '--tlskey') files.key = value();
    else if (flag === '--ssh-identity') identity = value();
    else if (flag === '--ssh-option') sshOptions.push(wrap(() => checkSshOption(value('Key=value'))));
    else if (flag.startsWith('-')) throw invalid(`unknown option ${flag}`);
    else if (address === undefined) address = a;
    else throw invalid(`unexpected argument ${JSON.stringify(a)}`);
  }
  if (address === undefined) throw invalid('missing the daemon address');
  if (Object.keys(files).length > 0) tls = true;
  if (address.startsWith('ssh://')) {
    if (tls) throw invalid('TLS options need a tcp:// address (ssh:// is encrypted by ssh)');
    const ssh: SshTarget = { ...wrap(() => parseSshAddress(address as string)), options: sshOptions };
    if (identity !== undefined) ssh.identity = identity;
    return { address, ...limits, ssh };
  }
  if (identity !== undefined || sshOptions.length > 0)
    throw invalid('--ssh-* options need an ssh:// address');
  parseEngineAddress(address, tls);
  if (!tls) return { address, ...limits };
  if (address.startsWith('unix://')) throw invalid('TLS options need a tcp:// address');
  const dir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const pick = (name: 'ca' | 'cert' | 'key', flag: string): Buffer | undefined => {
    const explicit = files[name];
    if (explicit !== undefined) return read(explicit, flag);
    // Defaults are optional (a server without client auth needs no cert), except the CA when verifying.
    try {
      return readFileSync(join(dir, `${name}.pem`));
    } catch {
      if (name === 'ca' && verify)
        throw invalid(`--tlsverify needs a CA: --tlscacert or ${join(dir, 'ca.pem')}`);
      return undefined;
    }
  };
  return {
    address,
    ...limits,
    tls: {
      ca: pick('ca', '--tlscacert'),
      cert: pick('cert', '--tlscert'),
      key: pick('key', '--tlskey'),
      verify,
    },
  };
}
