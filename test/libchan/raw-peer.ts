/**
 * A raw libchan peer for limit tests and the stress bench: a plain socket speaking frames by hand,
 * so it can do what a real Session never would (never read, skip credit, flood PINGs).
 * @module
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameParser, FrameType, RefKind } from '../../src/libchan/frames.js';

/** OPEN payload: kind, then the parent id. */
export function openFrame(id: number, kind: number = RefKind.OutChannel, parent = 0): Buffer {
  const p = Buffer.alloc(5);
  p[0] = kind;
  p.writeUInt32BE(parent, 1);
  return encodeFrame(FrameType.Open, 0, id, p);
}

/** A DATA frame of `n` bytes (`more`: the message continues). */
export function dataFrame(id: number, n: number, more = false): Buffer {
  return encodeFrame(FrameType.Data, more ? 1 : 0, id, Buffer.alloc(n, 0x41));
}

/** A PING with a payload of `n` bytes (the protocol says 8). */
export function pingFrame(n = 8): Buffer {
  return encodeFrame(FrameType.Ping, 0, 0, Buffer.alloc(n, 7));
}

/** A frame as the peer saw it. */
export interface SeenFrame {
  type: number;
  id: number;
  payload: Buffer;
}

/** A connected raw socket, what it read (unless paused) and when it closed. */
export class RawPeer {
  readonly sock: Socket;
  readonly seen: SeenFrame[] = [];
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>;
  #parser = new FrameParser((type, _f, id, payload) =>
    this.seen.push({ type, id, payload: Buffer.from(payload) }),
  );
  #isClosed = false;

  private constructor(sock: Socket, read: boolean) {
    this.sock = sock;
    sock.on('error', () => {});
    this.closed = new Promise((r) =>
      sock.once('close', () => {
        this.#isClosed = true;
        r();
      }),
    );
    if (read) {
      sock.on('data', (c: Buffer) => {
        try {
          this.#parser.push(c);
        } catch {
          // not frames: irrelevant here
        }
      });
    } else {
      sock.pause();
    }
  }

  /** Connects to a unix socket path or `host:port`; `read: false` never reads a byte. */
  static open(where: string | { host: string; port: number }, read = true): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const sock = typeof where === 'string' ? connect(where) : connect(where.port, where.host);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.off('error', reject);
        resolve(new RawPeer(sock, read));
      });
    });
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** The GOAWAY the peer received, as `{code, reason}`, if any. */
  goAway(): { code: number; reason: string } | undefined {
    const f = this.seen.find((x) => x.type === FrameType.GoAway);
    return f && { code: f.payload.readUInt32BE(4), reason: f.payload.toString('utf8', 8) };
  }

  /**
   * Writes `chunks()` until it returns undefined, the socket closes, or `maxBytes` went out; waits
   * for the socket to drain between chunks. Resolves with the bytes written.
   */
  async pour(chunks: (i: number) => Buffer | undefined, maxBytes: number): Promise<number> {
    let sent = 0;
    for (let i = 0; sent < maxBytes && !this.#isClosed && !this.sock.destroyed; i++) {
      const c = chunks(i);
      if (c === undefined) break;
      sent += c.length;
      if (!this.sock.write(c)) {
        await Promise.race([new Promise((r) => this.sock.once('drain', r)), this.closed]);
      }
    }
    return sent;
  }

  destroy(): void {
    this.sock.destroy();
  }
}

/** Resolves true once `p` settles, false after `ms`. */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => {
    t = setTimeout(() => r(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(t);
  }
}
