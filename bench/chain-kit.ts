/**
 * What the chain benchmarks share (bench/chain.bench.ts, bench/admin.bench.ts): a `pass` stage that
 * forwards and an `echo` stage that answers, a reply channel that settles a promise, and a driver that
 * keeps `window` requests in flight.
 * @module
 */
import type { Message } from '../src/actors/message.js';
import { findStage } from '../src/backends/registry.js';
import type { StageDefinition } from '../src/backends/stage.js';
import { kSender, type Sender } from '../src/libchan/types.js';
import { opsPerSecond } from './lib.js';

/** Requests kept in flight by {@link drive}. */
export const WINDOW = 64;

const testStages: Record<string, StageDefinition> = {
  pass: {
    name: 'pass',
    summary: '',
    usage: '',
    example: '',
    create: (_a, ctx) => ({ handle: (m: Message) => ctx.downstream?.send(m) }),
  },
  echo: {
    name: 'echo',
    role: 'terminal',
    summary: '',
    usage: '',
    example: '',
    create: () => ({
      handle(m: Message) {
        void m.ret?.send({ verb: 'set', args: m.args });
        m.ret?.close();
      },
    }),
  },
};

/** Stage lookup for a `Chain`: `pass`, `echo`, then the built-in stages. */
export const lookup = (name: string): StageDefinition | undefined => testStages[name] ?? findStage(name);

/** A reply channel that settles a promise on close. A class, so it can cross a session. */
export class Done implements Sender<Message> {
  readonly [kSender] = true as const;
  closed = false;
  constructor(readonly resolve: () => void) {}
  send(): undefined {
    return undefined;
  }
  close(): void {
    this.closed = true;
    this.resolve();
  }
}

/** Sends `n` `get` requests to `to`, {@link WINDOW} at a time; resolves with requests/s. */
export function drive(to: Sender<Message>, n: number): Promise<number> {
  return opsPerSecond(n, async () => {
    let sent = 0;
    const worker = async () => {
      while (sent < n) {
        sent++;
        await new Promise<void>((resolve) => {
          void to.send({ verb: 'get', args: { op: 'ping' }, ret: new Done(resolve) });
        });
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, worker));
  });
}
