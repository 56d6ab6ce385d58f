/**
 * libchan: channels that carry channels. In-process pipes, copy, and a CBOR session multiplexer
 * with unix, TCP, TLS and WebSocket transports. See PROTOCOL.md Part 1 for the wire format.
 * @module
 */

export { isByteStream, REF_TAG } from './codec.js';
export { copy, pump } from './copy.js';
export {
  INITIAL_CHANNEL_CREDIT,
  INITIAL_CONNECTION_CREDIT,
  INITIAL_STREAM_CREDIT,
} from './credit.js';
export { FrameType, MAX_FRAME_PAYLOAD, RefKind, ResetCode } from './frames.js';
export type { SessionSettings } from './host.js';
export { bufferedPipe, movedError, type PipeHooks, PipeReceiver, PipeSender, pipe } from './pipe.js';
export { type PreAuthLimits, Session, type SessionOptions } from './session.js';
export { SessionStream } from './stream-proxy.js';
export type { Transport, TransportStats } from './transport.js';
export type { Listener, ListenerLimits } from './transports/listener.js';
export { type MemoryOptions, MemoryTransport, memoryPair } from './transports/memory.js';
export * as tcp from './transports/tcp.js';
export * as tls from './transports/tls.js';
export * as unix from './transports/unix.js';
export * as ws from './transports/ws.js';
export * from './types.js';
export { socketWire, type Wire, type WireHandlers, type WireInfo, wirePair } from './wire.js';
