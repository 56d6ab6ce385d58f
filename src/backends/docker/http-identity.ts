/**
 * Who a front-door client is: the name a dockerserver listener gives its clients (`--identity NAME`)
 * or, with `--tlsverify`, the common name of the client certificate the TLS handshake verified. It
 * travels down the chain as {@link DockerArgs.identity}, set here and nowhere else: nothing the client
 * sends (headers, query, body) can name it, so a stage that decides per client (the policy's `--own`)
 * reads a name the client cannot spoof.
 * @module
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/** A usable identity: letters, digits and `.-_@`, at most 128 (a label value and a log field as it is). */
export const IDENTITY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** The rule {@link IDENTITY_PATTERN} states, for error messages. */
export const IDENTITY_RULE = 'letters, digits and . _ @ - (at most 128, starting with a letter or digit)';

/** True when `v` is a usable identity. */
export function isIdentity(v: unknown): v is string {
  return typeof v === 'string' && IDENTITY_PATTERN.test(v);
}

/** Certificate names already read, per TLS connection (a keep-alive connection asks once). */
const CERT_NAMES = new WeakMap<Socket, string | undefined>();

/**
 * The CN of the verified client certificate on `socket`, or `undefined`: no TLS, not verified, no CN,
 * or a certificate that spells its CN more than once (node gives an array: which one would be meant?).
 * The CN is returned as the certificate spells it; whether it is usable is the reader's decision.
 */
export function certificateName(socket: Socket): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  if (CERT_NAMES.has(socket)) return CERT_NAMES.get(socket);
  const cn: unknown = socket.getPeerCertificate()?.subject?.CN;
  const name = typeof cn === 'string' && cn !== '' ? cn : undefined;
  CERT_NAMES.set(socket, name);
  return name;
}

/** How a listener names its clients: one fixed name, or each verified certificate's CN. */
export type IdentitySource = { kind: 'fixed'; name: string } | { kind: 'certificate' };

/** The identity of the client on `socket` under `source` (`undefined`: the listener names nobody). */
export function clientIdentity(source: IdentitySource | undefined, socket: Socket): string | undefined {
  if (!source) return undefined;
  return source.kind === 'fixed' ? source.name : certificateName(socket);
}
