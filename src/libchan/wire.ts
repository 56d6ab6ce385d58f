/**
 * The byte-stream seam between a transport and a session. Every network transport (unix, tcp, tls,
 * ws) hands the session a {@link Wire}; the session never sees sockets or WebSocket objects.
 * @module
 */
import type { Socket } from 'node:net';
import { ConnectionLostError } from '../errors.js';

/** Callbacks a session installs on its wire. */
export interface WireHandlers {
  data(chunk: Buffer): void;
  /** The connection is gone. `err` is set when it broke rather than closed. Called once. */
  close(err?: Error): void;
}

/** Facts about the connection, for logs and authorisation. */
export interface WireInfo {
  transport: string;
  remote?: string;
  /** TLS: the peer's certificate was verified against the configured CA. */
  authorized?: boolean;
  /** TLS: the peer certificate's subject CN, when one was presented. */
  peerCommonName?: string;
}

/** A reliable, ordered, full-duplex byte stream. */
export interface Wire {
  readonly info: WireInfo;
  /** Starts delivery; called once by the session. */
  start(handlers: WireHandlers): void;
  /** Queues bytes. The buffer must not be modified afterwards. */
  write(data: Uint8Array): void;
  /** Graceful close after queued bytes are written. */
  end(): void;
  /** Abrupt close. */
  destroy(): void;
}

/** Adapts a connected `net.Socket` or `tls.TLSSocket`. */
export function socketWire(sock: Socket, info: WireInfo): Wire {
  let handlers: WireHandlers | undefined;
  let error: Error | undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    handlers?.close(error);
  };
  sock.on('error', (err) => {
    error ??= new ConnectionLostError(`${info.transport} socket error: ${err.message}`, { cause: err });
  });
  sock.on('close', finish);
  return {
    info,
    start(h) {
      handlers = h;
      sock.on('data', (chunk: Buffer) => h.data(chunk));
      if (sock.destroyed) finish();
    },
    write(data) {
      if (!sock.destroyed) sock.write(data);
    },
    end() {
      sock.end();
    },
    destroy() {
      sock.destroy();
    },
  };
}
