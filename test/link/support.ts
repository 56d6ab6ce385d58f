/** Helpers for the link stage tests: contexts, a recording reply channel, a scripted downstream. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message } from '../../src/actors/message.js';
import type { StageContext } from '../../src/backends/stage.js';
import { type Clock, systemClock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

import { quietLog, recorder } from '../services/support.js';

/** Re-exported for test/security; link tests import it from test/harness. */
export { until } from '../harness/until.js';
export { quietLog, recorder } from '../services/support.js';

/** A stage context. */
export function ctx(name: string, downstream?: Sender<Message>, clock: Clock = systemClock): StageContext {
  return { name, downstream, log: quietLog, clock };
}

/** A fresh temp dir for sockets. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'swlink-'));
}

/** A downstream that answers `set {echo: verb, args}` except verb `wait`, which it holds forever. */
export function echoDownstream(): Sender<Message> & { held: Message[]; seen: Message[] } {
  const held: Message[] = [];
  const seen: Message[] = [];
  return {
    [kSender]: true,
    held,
    seen,
    send(m: Message) {
      seen.push(m);
      if (m.verb === 'wait') {
        held.push(m);
        return undefined;
      }
      void m.ret?.send({ verb: 'set', args: { echo: m.verb, args: m.args } });
      m.ret?.close();
      return undefined;
    },
    close() {},
    closed: false,
  };
}

/** Sends `verb` through `handle` and resolves with the replies once the reply channel closes. */
export async function ask(
  handle: (m: Message) => void | Promise<void>,
  verb: Message['verb'],
  args: unknown = {},
): Promise<Message[]> {
  const r = recorder();
  void handle({ verb, args, ret: r });
  return r.done;
}

/** The message text of an `error` reply ('' for anything else). */
export function errText(m: Message | undefined): string {
  return (m?.args as { message?: string } | undefined)?.message ?? '';
}
