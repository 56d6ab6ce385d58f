/**
 * Output bytes on their way out: multiplexed frames for non-tty containers (8-byte header,
 * docker-cli-wire.md §3.3), raw bytes with `\r\n` line endings for tty ones, optional timestamps.
 * @module
 */
import type { Attachment, LogEntry, LogFollower } from './container.js';
import { rfc3339Nano } from './time.js';

/** One multiplexed frame: stream byte, three zeros, big-endian payload length, payload. */
export function frame(stream: 0 | 1 | 2 | 3, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** A pty's output post-processing (onlcr): `\n` → `\r\n`, leaving existing `\r\n` alone. */
export function ttyBytes(data: Buffer): Buffer {
  if (!data.includes(0x0a)) return data;
  return Buffer.from(data.toString('utf8').replace(/\r?\n/g, '\r\n'));
}

/** The bytes a watcher gets for `entry`, or undefined when it did not ask for that stream. */
export function encodeEntry(
  entry: LogEntry,
  watcher: Attachment | LogFollower,
  tty: boolean,
): Buffer | undefined {
  if (entry.stream === 1 ? !watcher.stdout : !watcher.stderr) return undefined;
  const data =
    'timestamps' in watcher && watcher.timestamps
      ? Buffer.concat([Buffer.from(`${rfc3339Nano(entry.time)} `), entry.data])
      : entry.data;
  return tty || ('raw' in watcher && watcher.raw) ? data : frame(entry.stream, data);
}
