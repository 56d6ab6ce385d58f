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
  /** The transport took the bytes it held (see {@link Wire.bufferedAmount}): writing may resume. */
  drain?(): void;
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
  /**
   * Bytes accepted by `write` that the transport still holds (not yet taken by the OS). A wire
   * without it never reports backpressure; one with it calls `handlers.drain` once they are taken.
   */
  bufferedAmount?(): number;
  /** Stops reading: the session will not look at another byte (it gave up on the peer). */
  pause?(): void;
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
      sock.on('drain', () => h.drain?.());
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
    bufferedAmount() {
      return sock.writableLength;
    },
    pause() {
      sock.pause();
    },
  };
}

/**
 * Two in-process wires joined back to back (bytes are delivered on `setImmediate`, like socket I/O).
 * For tests and for running a real session without a socket.
 */
export function wirePair(): [Wire, Wire] {
  type Side = { h?: WireHandlers; closed: boolean; peer?: Side };
  const mk = (): Side => ({ closed: false });
  const a = mk();
  const b = mk();
  a.peer = b;
  b.peer = a;
  const close = (s: Side, err?: Error) => {
    for (const x of [s, s.peer as Side]) {
      if (x.closed) continue;
      x.closed = true;
      const h = x.h;
      setImmediate(() => h?.close(x === s ? undefined : err));
    }
  };
  const wire = (s: Side): Wire => ({
    info: { transport: 'pair' },
    start(h) {
      s.h = h;
    },
    write(data) {
      const peer = s.peer as Side;
      if (s.closed) return;
      const copy = Buffer.from(data);
      setImmediate(() => {
        if (!peer.closed) peer.h?.data(copy);
      });
    },
    end() {
      setImmediate(() => close(s));
    },
    destroy() {
      close(s, new ConnectionLostError('peer destroyed the connection'));
    },
  });
  return [wire(a), wire(b)];
}
