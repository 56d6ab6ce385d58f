import { describe, expect, it } from 'vitest';
import { Client } from '../../src/actors/client.js';
import type { Message } from '../../src/actors/message.js';
import { Server } from '../../src/actors/server.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import { recorder } from './support.js';

function address(server: Server): Sender<Message> {
  return {
    [kSender]: true,
    send: (m: Message) => void server.handle(m),
    close() {},
    closed: false,
  };
}

describe('Server DSL', () => {
  it('answers typed helpers and closes ret', async () => {
    const server = new Server().onLs(() => ['a', 'b']).onGet((args) => ({ got: args }));
    const ret = recorder();
    await server.handle({ verb: 'ls', args: {}, ret });
    expect(ret.replies).toEqual([{ verb: 'set', args: ['a', 'b'] }]);
    expect(ret.closed).toBe(true);
  });

  it('replies not implemented (501) for verbs without a handler', async () => {
    const ret = recorder();
    await new Server().handle({ verb: 'watch', args: {}, ret });
    expect(ret.replies[0]).toMatchObject({
      verb: 'error',
      args: { code: ErrorCode.NotImplemented, status: 501 },
    });
  });

  it('turns a throwing handler into an error reply and still closes ret', async () => {
    const ret = recorder();
    const server = new Server().onVerb('start', () => {
      throw new Error('boom');
    });
    await server.handle({ verb: 'start', args: {}, ret });
    expect(ret.replies).toEqual([{ verb: 'error', args: { message: 'boom' } }]);
    expect(ret.closed).toBe(true);
  });

  it('routes unknown verbs to the catch-all', async () => {
    const seen: string[] = [];
    const server = new Server().onLs(() => []).catchAll((m) => void seen.push(m.verb));
    await server.handle({ verb: 'kill', args: {} });
    expect(seen).toEqual(['kill']);
    expect(server.handles('pause')).toBe(true);
  });
});

describe('Client DSL', () => {
  it('returns values and maps error replies to SWARM_ERR_REMOTE with the args', async () => {
    const server = new Server()
      .onLs(() => ['x'])
      .onVerb('get', (m) => {
        void m.ret?.send({ verb: 'error', args: { message: 'No such container: q', status: 404 } });
      });
    const client = new Client(address(server));
    expect(await client.ls()).toEqual(['x']);
    await expect(client.get({ id: 'q' })).rejects.toMatchObject({
      code: ErrorCode.Remote,
      message: 'No such container: q',
      details: { status: 404 },
    });
  });

  it('rejects an unexpected verb and an early close', async () => {
    const server = new Server()
      .onVerb('ls', (m) => void m.ret?.send({ verb: 'log', args: 'hi' }))
      .onVerb('get', () => {});
    const client = new Client(address(server));
    await expect(client.ls()).rejects.toMatchObject({ code: ErrorCode.UnexpectedVerb });
    await expect(client.get()).rejects.toMatchObject({ code: ErrorCode.UnexpectedEof });
  });

  it('fails with DeadlineExceeded when nobody answers, on the injected clock', async () => {
    const clock = new SimulatedClock();
    const silent: Sender<Message> = { [kSender]: true, send: () => undefined, close() {}, closed: false };
    const p = new Client(silent, { clock, deadlineMs: 500 }).get();
    clock.advance(499);
    await Promise.resolve();
    clock.advance(1);
    await expect(p).rejects.toMatchObject({ code: ErrorCode.DeadlineExceeded });
    expect(clock.pendingTimers).toBe(0);
  });

  it('streams the replies after the first (watch)', async () => {
    const server = new Server().onWatch(async (m) => {
      await m.ret?.send({ verb: 'ack', args: {} });
      for (const n of [1, 2, 3]) await m.ret?.send({ verb: 'log', args: n });
    });
    const { reply, more } = await new Client(address(server)).watch();
    expect(reply.verb).toBe('ack');
    const rest: unknown[] = [];
    for await (const m of more) rest.push(m.args);
    expect(rest).toEqual([1, 2, 3]);
  });
});
