import { describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/index.js';
import { isSwarmError } from '../../src/errors.js';
import type { OverflowPolicy } from '../../src/mailbox/index.js';
import { settle } from './helpers.js';

const N = 500;

describe('accounting: delivered + dead-lettered + refused = sent', () => {
  for (const overflow of ['backpressure', 'dropHead', 'dropTail', 'fail'] as OverflowPolicy[]) {
    it(`under ${overflow}`, async () => {
      const system = new ActorSystem();
      let handled = 0;
      const ref = system.spawn<number>({ receive: () => void handled++ }, { capacity: 16, overflow });
      let refused = 0;
      const waits: Promise<void>[] = [];
      for (let i = 0; i < N; i++) {
        try {
          const p = ref.send(i);
          if (p) waits.push(p);
        } catch (err) {
          expect(isSwarmError(err, 'SWARM_ERR_MAILBOX_FULL')).toBe(true);
          refused++;
        }
      }
      await Promise.all(waits);
      await settle();
      const c = system.mailboxCounters(ref);
      const dead = system.deadLetters.counters().total;
      expect(c.delivered).toBe(handled);
      expect(c.refused).toBe(refused);
      expect(handled + dead + refused).toBe(N);
      if (overflow === 'backpressure') expect(handled).toBe(N);
      else expect(handled).toBeLessThan(N); // the bound really bit
    });
  }

  it('messages queued when an actor stops are dead-lettered, then later sends too', async () => {
    const system = new ActorSystem();
    const ref = system.spawn<number>({ receive() {} }, { capacity: 64 });
    for (let i = 0; i < 10; i++) ref.send(i);
    await system.stop(ref); // before the drain ran: all 10 orphaned
    for (let i = 0; i < 5; i++) expect(ref.send(i)).toBeUndefined();
    const dl = system.deadLetters.counters();
    expect(dl).toMatchObject({ closed: 10, stopped: 5, total: 15 });
    expect(system.mailboxCounters(ref).delivered).toBe(0);
  });
});
