/**
 * Frames the peer sends for a channel or stream (id ≠ 0): OPEN registers a new entry (top-level ones
 * go to the accept queue, nested ones wait unclaimed for their carrying message), every other frame
 * goes to its entry. Frames are handled synchronously in arrival order, so an OPEN is always
 * registered before the message that references it is decoded (race-free rendezvous by construction).
 * Stream-0 frames and connection credit stay with the session.
 * @module
 */
import { ProtocolError } from '../errors.js';
import { ChanIn, ChanOut } from './channel.js';
import { FrameType, RefKind, ResetCode } from './frames.js';
import { decodeCodeReason, encodeCodeReason, type Host } from './host.js';
import { closedError, type SessionTable } from './session-table.js';
import { SessionStream } from './stream-proxy.js';

/**
 * The peer opened `id`. `accepting` is false once our own GOAWAY went out: the entry is then refused,
 * as it is when the accept backlog or the unclaimed cap is full.
 */
export function peerOpen(
  host: Host,
  table: SessionTable,
  accepting: boolean,
  id: number,
  payload: Buffer,
): void {
  if (payload.length !== 5) throw new ProtocolError('OPEN payload must be 5 bytes');
  table.claimPeerId(id);
  const kind = payload[0] as number;
  const parent = payload.readUInt32BE(1);
  if (parent !== 0 && !table.entries.has(parent)) {
    if (!table.isStale(parent)) throw new ProtocolError(`OPEN ${id} names unknown parent ${parent}`);
    host.frame(FrameType.Reset, 0, id, encodeCodeReason(ResetCode.Cancel, 'carrying channel closed'));
    return;
  }
  if (parent === 0 && kind !== RefKind.OutChannel) throw new ProtocolError('a top-level OPEN must be kind 5');
  if (kind < RefKind.Duplex || kind > RefKind.OutChannel)
    throw new ProtocolError(`OPEN with unknown kind ${kind}`);
  if (table.entries.size >= host.settings.maxEntries) {
    // Refused before an entry (and its buffers) exists; a reference to it fails its message.
    host.frame(FrameType.Reset, 0, id, encodeCodeReason(ResetCode.Refused, 'too many open streams'));
    return;
  }
  let e: ChanIn | ChanOut | SessionStream;
  switch (kind) {
    case RefKind.OutChannel:
      e = new ChanIn(host, id, parent, kind);
      break;
    case RefKind.InChannel:
      e = new ChanOut(host, id, parent, kind);
      break;
    case RefKind.Duplex:
    case RefKind.InStream:
    case RefKind.OutStream:
      e = new SessionStream(host, id, parent, kind, kind !== RefKind.InStream, kind !== RefKind.OutStream);
      break;
    default:
      throw new ProtocolError(`OPEN with unknown kind ${kind}`);
  }
  table.entries.set(id, e);
  const { acceptBacklog, maxUnclaimed } = host.settings;
  const full = parent === 0 ? table.pendingAccept >= acceptBacklog : table.unclaimed.size >= maxUnclaimed;
  if (!accepting || full) {
    host.reset(id, ResetCode.Refused, !accepting ? 'going away' : 'too many pending streams');
    e.fail(closedError('refused'));
    return;
  }
  if (!(e instanceof ChanOut)) e.grantOpening();
  if (parent !== 0) {
    table.unclaimed.set(id, e);
    return;
  }
  table.offer(e as ChanIn);
}

/** DATA, END, RESET or CREDIT for entry `id`; late frames for an entry already gone are dropped. */
export function entryFrame(
  host: Host,
  table: SessionTable,
  type: number,
  flags: number,
  id: number,
  payload: Buffer,
): void {
  const e = table.entries.get(id);
  if (e === undefined) {
    if (table.isStale(id)) {
      // Late DATA still counted against the connection window: give it back.
      if (type === FrameType.Data) host.release(payload.length);
      return;
    }
    throw new ProtocolError(`frame type ${type} for stream ${id}, which was never opened`);
  }
  switch (type) {
    case FrameType.Data:
      e.onData(flags, payload);
      return;
    case FrameType.End:
      e.onEnd();
      return;
    case FrameType.Reset: {
      const { code, reason } = decodeCodeReason(payload);
      e.onReset(code, reason);
      host.remove(id);
      return;
    }
    case FrameType.Credit:
      if (payload.length !== 4) throw new ProtocolError('CREDIT payload must be 4 bytes');
      e.onCredit(payload.readUInt32BE(0));
      return;
    default:
      throw new ProtocolError(`frame type ${type} is not valid on a stream`);
  }
}
