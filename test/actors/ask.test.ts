import { describe, expect, it } from 'vitest';
import { ActorSystem, ask } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { isSwarmError } from '../../src/errors.js';
import type { Sender } from '../../src/libchan/types.js';

type Ping = { n: number; replyTo: Sender<number> };

describe('ask', () => {
  it('resolves with the first reply and clears its deadline timer', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const ref = system.spawn<Ping>({ receive: (m) => void m.replyTo.send(m.n + 1) });
    const r = await ask<Ping, number>(ref, (replyTo) => ({ n: 41, replyTo }), { deadline: 100, clock });
    expect(r).toBe(42);
    expect(clock.pendingTimers).toBe(0);
  });

  it('rejects with DeadlineExceeded when no reply comes in time', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    let held: Sender<number> | undefined;
    const ref = system.spawn<Ping>({
      receive: (m) => {
        held = m.replyTo;
      },
    });
    const p = ask<Ping, number>(ref, (replyTo) => ({ n: 1, replyTo }), { deadline: 100, clock });
    await new Promise((r) => setImmediate(r));
    clock.advance(99);
    let settled = false;
    p.then(
      () => {},
      () => {},
    ).finally(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(p).rejects.toSatisfy((e) => isSwarmError(e, 'SWARM_ERR_DEADLINE_EXCEEDED'));
    expect(clock.pendingTimers).toBe(0);
    expect(held?.closed).toBe(true);
    expect(() => held?.send(5)).toThrow(/reply already sent/);
  });

  it('rejects with UnexpectedEof when the reply channel closes empty', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<Ping>({ receive: (m) => m.replyTo.close() });
    await expect(ask<Ping, number>(ref, (replyTo) => ({ n: 1, replyTo }))).rejects.toSatisfy((e) =>
      isSwarmError(e, 'SWARM_ERR_UNEXPECTED_EOF'),
    );
  });

  it('rejects when the send is refused (fail policy, full mailbox)', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<Ping>({ receive() {} }, { capacity: 1, overflow: 'fail' });
    const first = ask<Ping, number>(ref, (replyTo) => ({ n: 1, replyTo }), { deadline: 50 });
    await expect(ask<Ping, number>(ref, (replyTo) => ({ n: 2, replyTo }))).rejects.toSatisfy((e) =>
      isSwarmError(e, 'SWARM_ERR_MAILBOX_FULL'),
    );
    first.catch(() => {});
  });
});
