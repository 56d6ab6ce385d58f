/**
 * RequestStats' sampling on a simulated clock, driven as a stage drives it (a switch the sampler
 * flips, the stage actor's mailbox count): every request counted and timed exactly up to 1,000 a
 * second per stage; above that about {@link SAMPLED_PER_SECOND} a second are timed, each counting for
 * the requests since the last, so the counts stay whole and the timing cost stays flat.
 */
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../../src/actors/behavior.js';
import type { Message } from '../../src/actors/message.js';
import { RequestStats, SAMPLED_PER_SECOND } from '../../src/cli/admin/requests.js';
import type { Sender } from '../../src/libchan/types.js';
import { recorder } from '../services/support.js';

/**
 * A stage's traffic on a simulated clock: `run(perMs, ms)` sends `perMs` requests every millisecond
 * for `ms` milliseconds (`everyMs` > 1: one request every that many ms) as the stage's receive does
 * (the actor counts each; while the switch is on it hands the request over), answers each 2 ms after
 * it entered, and calls `adapt()` every 100 ms as the admin's timer does. Returns how many requests
 * were handed over (timed).
 */
function traffic(name: string) {
  const clock = { now: 0 };
  const stats = new RequestStats(() => clock.now);
  const s = stats.stage(name);
  let on = false;
  s.attach((x) => {
    on = x;
  });
  let delivered = 0;
  const actor = { counters: () => ({ delivered }) } as unknown as ActorContext<Message>;
  const answers: { at: number; ret: Sender<Message> }[] = [];
  const run = (perMs: number, ms: number, everyMs = 1): number => {
    let timed = 0;
    for (let t = 0; t < ms; t++) {
      clock.now += 1;
      if (clock.now % 100 === 0) stats.adapt();
      for (let i = 0; i < (clock.now % everyMs === 0 ? perMs : 0); i++) {
        delivered++;
        let m: Message = { verb: 'ls', args: { op: 'container.list' }, ret: recorder() };
        if (on) {
          m = s.take(m, actor);
          timed++;
        }
        answers.push({ at: clock.now + 2, ret: m.ret as Sender<Message> });
      }
      while (answers.length > 0 && (answers[0] as { at: number }).at <= clock.now) {
        const a = answers.shift() as { ret: Sender<Message> };
        void a.ret.send({ verb: 'set', args: { status: 200 } });
        a.ret.close();
      }
    }
    return timed;
  };
  return { s, run, delivered: () => delivered, on: () => on };
}

describe('RequestStats sampling', () => {
  it('counts and times every request of a stage below 1,000 a second', () => {
    const { s, run, on } = traffic('quiet');
    expect(on()).toBe(true); // a stage starts with every request handed over
    const timed = run(1, 4000, 2) + run(0, 5); // 500/s for 4 s, then the last answers
    expect(timed).toBe(2000);
    expect(s.requests).toBe(2000);
    const op = s.ops.get('container.list');
    expect(op?.requests).toBe(2000);
    expect(op?.statuses['2xx']).toBe(2000);
    expect(op?.buckets.reduce((a, b) => a + b, 0)).toBe(2000);
  });

  it('above it times about SAMPLED_PER_SECOND a second, does nothing in between, and counts every request', () => {
    const { s, run, delivered, on } = traffic('busy');
    run(100, 1000); // 100,000 requests a second; settles
    const seconds = 2;
    const timed = run(100, seconds * 1000);
    expect(timed / seconds).toBeLessThanOrEqual(SAMPLED_PER_SECOND * 1.05);
    expect(timed / seconds).toBeGreaterThanOrEqual(SAMPLED_PER_SECOND * 0.9);
    // Between two rounds of samples the switch is off: the stage runs its plain receive.
    expect(on()).toBe(false);
    // A sampled request stands for every request since the last: at the next one, nothing is lost.
    run(100, 99);
    run(0, 1); // the admin's next tick turns the switch on
    expect(on()).toBe(true);
    run(1, 1);
    expect(s.requests).toBe(delivered());
    expect(s.ops.get('container.list')?.requests).toBe(delivered());
    // When the stage goes quiet again, it is back to every request within a round or two.
    run(0, 300);
    run(1, 300, 2);
    const before = s.requests;
    expect(run(1, 1000, 2)).toBe(500);
    expect(s.requests - before).toBe(500);
  });
});
