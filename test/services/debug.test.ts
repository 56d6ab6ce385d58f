import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import { debugStage, summarize } from '../../src/backends/debug.js';
import { findStage } from '../../src/backends/registry.js';
import type { StageDefinition } from '../../src/backends/stage.js';
import { SimulatedClock, systemClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { recorder } from './support.js';

/** Answers every request with a `set` naming the op, 5 simulated ms later. */
function answer(clock: SimulatedClock | undefined): StageDefinition {
  return {
    name: 'answer',
    role: 'terminal',
    summary: '',
    usage: '',
    example: '',
    create: () => ({
      handle(m: Message) {
        const reply = () => {
          void m.ret?.send({ verb: 'set', args: { status: 200, body: (m.args as { op: string }).op } });
          m.ret?.close();
        };
        if (clock) clock.setTimeout(reply, 5);
        else reply();
      },
    }),
  };
}

function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(JSON.parse(String(chunk)).msg);
      cb();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const dir = mkdtempSync(join(tmpdir(), 'swd-debug-'));
const chains: Chain[] = [];
afterAll(async () => {
  for (const c of chains.reverse()) await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(commands: string[], clock: SimulatedClock | undefined, log = capture().log) {
  const lookup = (n: string) => (n === 'answer' ? answer(clock) : findStage(n));
  const chain = new Chain({ log, clock: clock ?? systemClock, lookup });
  chains.push(chain);
  await chain.start(commands);
  return chain;
}

async function ask(chain: Chain, message: Omit<Message, 'ret'>, advance?: () => void) {
  const ret = recorder();
  await chain.head?.send({ ...message, ret });
  advance?.();
  await ret.done;
  return ret.replies;
}

describe('debug stage', () => {
  it('logs each request and its reply with latency, and forwards both unchanged', async () => {
    const clock = new SimulatedClock();
    const { log, lines } = capture();
    const chain = await start(['debug', 'answer'], clock, log);
    const replies = await ask(
      chain,
      { verb: 'get', args: { op: 'container.inspect', id: 'web', query: {} } },
      () => setImmediate(() => clock.advance(5)),
    );
    expect(replies).toEqual([{ verb: 'set', args: { status: 200, body: 'container.inspect' } }]);
    expect(lines).toContain('--> get container.inspect web');
    expect(lines).toContain('<-- set status 200 (5.0 ms)');
  });

  it('is refused as the last stage of a chain; built alone it answers 501; refuses arguments', async () => {
    await expect(start(['debug'], undefined)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringMatching(
        /argument 1 "debug": debug passes requests on to a next stage, but none follows it/,
      ),
    });
    // A debug stage built outside a chain (no downstream) still answers instead of dropping requests.
    const alone = await debugStage.create([], {
      name: 'debug#t',
      downstream: undefined,
      log: capture().log,
      clock: systemClock,
    });
    const ret = recorder();
    await alone.handle({ verb: 'ls', args: {}, ret });
    expect(await ret.done).toMatchObject([
      { verb: 'error', args: { code: ErrorCode.NotImplemented, status: 501 } },
    ]);
    await expect(start(['debug verbose', 'answer'], undefined)).rejects.toMatchObject({
      code: ErrorCode.InvalidArgument,
      message: expect.stringMatching(/argument 1.*debug takes no arguments/),
    });
  });

  it('its reply wrapper crosses a process boundary: debug → remote → listen → answer', async () => {
    const sock = join(dir, 'debug.sock');
    await start([`listen unix://${sock}`, 'answer'], undefined);
    const front = await start(['debug', `remote unix://${sock}`], undefined);
    expect(await ask(front, { verb: 'ls', args: { op: 'container.list', query: {} } })).toEqual([
      { verb: 'set', args: { status: 200, body: 'container.list' } },
    ]);
  });

  it('summarize keeps lines short and shows what matters', () => {
    expect(summarize({ op: 'container.list', query: {} })).toBe('container.list');
    expect(summarize({ message: 'x'.repeat(200) })).toHaveLength(120);
    expect(summarize({ a: 'y'.repeat(100) })).toMatch(/^\{"a":"y+\.\.\.$/);
    expect(summarize(undefined)).toBe('');
  });
});
