/**
 * A libchan {@link Wire} over two one-way byte streams, for sessions over a child process's stdio
 * (the exec stage's side: the child's stdout and stdin; the program's side: process.stdin and
 * process.stdout). libchan's socketWire wants one duplex socket, hence this small adapter.
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { ConnectionLostError } from '../../errors.js';
import type { Wire, WireHandlers, WireInfo } from '../../libchan/wire.js';

/** Adapts `input` (bytes from the peer) and `output` (bytes to the peer) to the session's seam. */
export function streamWire(input: Readable, output: Writable, info: WireInfo): Wire {
  let handlers: WireHandlers | undefined;
  let error: Error | undefined;
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    handlers?.close(error);
  };
  const broke = (err: Error) => {
    error ??= new ConnectionLostError(`${info.transport} stream error: ${err.message}`, { cause: err });
    finish();
  };
  input.on('error', broke);
  // EPIPE after the peer exited is the same loss, already reported by the input side.
  output.on('error', broke);
  input.on('end', finish);
  input.on('close', finish);
  return {
    info,
    start(h) {
      handlers = h;
      input.on('data', (chunk: Buffer) => h.data(chunk));
      if (input.destroyed || input.readableEnded) finish();
    },
    write(data) {
      if (!output.destroyed && !output.writableEnded) output.write(data);
    },
    end() {
      if (!output.destroyed && !output.writableEnded) output.end();
    },
    destroy() {
      output.destroy();
      input.destroy();
      finish();
    },
  };
}
