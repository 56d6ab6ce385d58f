import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Message } from '../../src/actors/message.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

/** A silent logger for stages under test. */
export const quietLog = pino({ level: 'silent' });

/** An `info` logger that keeps every line it writes (JSON text) in `lines`. */
export function capturingLog() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

/** A reply channel that records everything sent on it. */
export function recorder(): Sender<Message> & { replies: Message[]; done: Promise<Message[]> } {
  let finish!: (m: Message[]) => void;
  const done = new Promise<Message[]>((r) => {
    finish = r;
  });
  let closed = false;
  const replies: Message[] = [];
  return {
    [kSender]: true,
    replies,
    done,
    send(m: Message) {
      replies.push(m);
      return undefined;
    },
    close() {
      closed = true;
      finish(replies);
    },
    get closed() {
      return closed;
    },
  };
}
