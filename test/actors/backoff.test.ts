import { describe, expect, it } from 'vitest';
import { ActorSystem, backoffDelay, RestartIntensity, Supervisor } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { settle, worker } from './helpers.js';

const backoff = { min: 100, max: 1000, randomFactor: 0.5, random: () => 0.5 }; // jitter ×1.25

describe('exponential backoff with jitter', () => {
  it('computes Akka delays: min·2^n capped at max, times 1 + random·randomFactor', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff))).toEqual([
      125, 250, 500, 1000, 1250, 1250,
    ]);
    expect(backoffDelay(0, { min: 3000, max: 30000, randomFactor: 0, random: () => 0.9 })).toBe(3000);
  });

  it('restarts on that exact schedule; messages wait in the mailbox during backoff; resets after a quiet period', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const log: string[] = [];
    const sup = new Supervisor(system, {
      intensity: 100,
      period: 1,
      backoff,
      children: [{ id: 'w', behavior: worker(log, 'w') }],
    });
    const ref = sup.child<string>('w');
    const observed: number[] = [];
    for (let i = 0; i < 5; i++) {
      ref?.send('crash');
      await settle();
      expect(ref?.state).toBe('restarting');
      ref?.send(`queued ${i}`);
      await settle();
      expect(log.at(-1)).toBe('stop w error'); // nothing handled during backoff
      const start = clock.now();
      let waited = 0;
      while (ref?.state === 'restarting') {
        clock.advance(1);
        waited++;
        if (waited > 5000) throw new Error('never restarted');
      }
      observed.push(clock.now() - start);
      await settle();
      expect(log.at(-1)).toBe(`w got queued ${i}`);
    }
    expect(observed).toEqual([125, 250, 500, 1000, 1250]);
    // quiet for resetAfter = (min+max)/2 = 550 ms: the next failure starts over at min
    clock.advance(550);
    ref?.send('crash');
    await settle();
    const t0 = clock.now();
    clock.advance(124);
    expect(ref?.state).toBe('restarting');
    clock.advance(1);
    expect(ref?.state).toBe('running');
    expect(clock.now() - t0).toBe(125);
  });

  it('stopping the supervisor during a backoff clears the timer and dead-letters waiting messages', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const sup = new Supervisor(system, { backoff, children: [{ id: 'w', behavior: worker([], 'w') }] });
    const ref = sup.child<string>('w');
    ref?.send('crash');
    ref?.send('waiting');
    await settle();
    expect(clock.pendingTimers).toBe(1);
    await sup.stop();
    expect(clock.pendingTimers).toBe(0);
    expect(ref?.state).toBe('stopped');
    expect(system.deadLetters.counters()).toMatchObject({ closed: 1 });
  });
});

describe('RestartIntensity window', () => {
  it('counts exactly the restarts inside the period, across buffer growth and wrap-around', () => {
    const w = new RestartIntensity(20, 10);
    const exceeded: number[] = [];
    // 3 restarts per ms for 40 ms: 30 per 10-ms window > 20 from the 21st restart on
    for (let t = 0, n = 0; t < 40; t++) for (let k = 0; k < 3; k++, n++) if (w.exceeded(t)) exceeded.push(n);
    expect(exceeded[0]).toBe(20);
    const slow = new RestartIntensity(2, 10);
    // one restart every 4 ms: at most 3 within any 10-ms window (t-10, t] → 3 > 2 from the third on
    expect([0, 4, 8, 12, 16, 40, 41].map((t) => slow.exceeded(t))).toEqual([
      false,
      false,
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});
