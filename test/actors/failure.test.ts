import { describe, expect, it } from 'vitest';
import { ActorSystem, ask, type Message } from '../../src/actors/index.js';
import type { Sender } from '../../src/libchan/types.js';
import { settle } from './helpers.js';

type Req = Message<{ n: number }>;

describe('a throwing handler', () => {
  it('sync throw: the request gets an error reply and the actor keeps serving', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<Req>({
      receive(m) {
        if (m.args.n === 2) throw new Error('boom');
        m.ret?.send({ verb: 'ack', args: m.args.n * 10 });
        m.ret?.close();
      },
    });
    const req = (n: number) => ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n }, ret }));
    expect(await req(1)).toEqual({ verb: 'ack', args: 10 });
    expect(await req(2)).toEqual({
      verb: 'error',
      args: { message: 'boom', code: 'SWARM_ERR_ACTOR_FAILED' },
    });
    expect(await req(3)).toEqual({ verb: 'ack', args: 30 });
    expect(ref.state).toBe('running');
  });

  it('rejected promise: same, and later messages wait for the async handler (one at a time)', async () => {
    const system = new ActorSystem();
    const order: number[] = [];
    const ref = system.spawn<Req>({
      async receive(m) {
        await new Promise((r) => setImmediate(r));
        order.push(m.args.n);
        if (m.args.n === 1) throw new Error('async boom');
        m.ret?.send({ verb: 'ack', args: m.args.n });
      },
    });
    const r1 = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 1 }, ret }));
    const r2 = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 2 }, ret }));
    expect((await r1).verb).toBe('error');
    expect(await r2).toEqual({ verb: 'ack', args: 2 });
    expect(order).toEqual([1, 2]);
  });

  it('onFailure makes failure replies work for non-verb messages', async () => {
    const system = new ActorSystem();
    type Cmd = { x: number; replyTo: Sender<string> };
    const ref = system.spawn<Cmd>({
      receive(m) {
        if (m.x < 0) throw new Error('negative');
        m.replyTo.send(`ok ${m.x}`);
      },
      onFailure(m, err) {
        m.replyTo.send(`failed: ${err.message}`);
      },
    });
    expect(await ask<Cmd, string>(ref, (replyTo) => ({ x: -1, replyTo }))).toBe('failed: negative');
    expect(await ask<Cmd, string>(ref, (replyTo) => ({ x: 4, replyTo }))).toBe('ok 4');
  });

  it('a factory behavior restarts with fresh state; failures are inspected', async () => {
    const system = new ActorSystem();
    const failures: string[] = [];
    system.inspect((e) => {
      if (e.type === 'failure') failures.push(e.error.message);
    });
    const seen: number[] = [];
    const ref = system.spawn<number>(() => {
      let count = 0;
      return {
        receive(n) {
          count++;
          seen.push(count);
          if (n === 0) throw 'plain string';
        },
      };
    });
    for (const n of [1, 1, 0, 1]) ref.send(n);
    await settle();
    expect(seen).toEqual([1, 2, 3, 1]); // state reset by the restart, the 4th message still handled
    expect(failures).toEqual(['plain string']);
  });
});

describe('requests that cannot be delivered', () => {
  it('a request to a stopped actor, or orphaned by its stop, gets an error reply at once', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<Req>({ receive() {} });
    const orphan = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 1 }, ret }));
    await system.stop(ref); // before the drain: the queued request is orphaned
    const late = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 2 }, ret }));
    const stopped = { verb: 'error', args: { message: 'actor stopped', code: 'SWARM_ERR_ACTOR_STOPPED' } };
    expect(await orphan).toEqual(stopped);
    expect(await late).toEqual(stopped);
    expect(system.deadLetters.counters()).toMatchObject({ closed: 1, stopped: 1 });
  });

  it('a request dropped by the overflow policy gets a SWARM_ERR_DROPPED reply', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<Req>(
      { receive: (m) => void m.ret?.send({ verb: 'ack', args: null }) },
      { capacity: 1, overflow: 'dropTail' },
    );
    const first = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 1 }, ret }));
    const second = ask<Req, Message>(ref, (ret) => ({ verb: 'get', args: { n: 2 }, ret }));
    expect((await second).args).toMatchObject({ code: 'SWARM_ERR_DROPPED' });
    expect((await first).verb).toBe('ack');
  });
});
