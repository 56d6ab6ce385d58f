/**
 * RequestStats' adaptive sampling on a simulated clock: every request counted and timed exactly up to
 * 1,000 a second per stage; above that about {@link SAMPLED_PER_SECOND} a second are timed, each
 * counting for the requests since the last, so the counts stay right and the timing cost stays flat.
 */
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { RequestStats, SAMPLED_PER_SECOND, type StageStats } from '../../src/cli/admin/requests.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

class Reply implements Sender<Message> {
  readonly [kSender] = true as const;
  closed = false;
  send(): undefined {
    return undefined;
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * A stage's traffic on a simulated clock: `run(perMs, ms)` sends `perMs` requests every millisecond
 * for `ms` milliseconds through stage `s` as a stage's receive does (count down; at zero hand the
 * request over), answers each 2 ms after it entered, and calls `adapt()` every 100 ms as the admin's
 * timer does. Returns how many requests were handed over (timed).
 */
function traffic(name: string) {
  const clock = { now: 0 };
  const stats = new RequestStats(() => clock.now);
  const s: StageStats = stats.stage(name);
  const answers: { at: number; ret: Sender<Message> }[] = [];
  const run = (perMs: number, ms: number): number => {
    let timed = 0;
    for (let t = 0; t < ms; t++) {
      clock.now += 1;
      if (clock.now % 100 === 0) stats.adapt();
      for (let i = 0; i < perMs; i++) {
        let m: Message = { verb: 'ls', args: { op: 'container.list' }, ret: new Reply() };
        if (--s.countdown <= 0) {
          m = s.take(m);
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
  return { s, run };
}

describe('RequestStats sampling', () => {
  it('counts and times every request of a stage below 1,000 a second', () => {
    const { s, run } = traffic('quiet');
    // 1 request every 2 ms (500/s) for 4 s.
    let timed = 0;
    for (let i = 0; i < 2000; i++) timed += run(1, 1) + run(0, 1);
    run(0, 5); // the last answers come
    expect(timed).toBe(2000);
    expect(s.requests).toBe(2000);
    const op = s.ops.get('container.list');
    expect(op?.requests).toBe(2000);
    expect(op?.statuses['2xx']).toBe(2000);
    expect(op?.buckets.reduce((a, b) => a + b, 0)).toBe(2000);
  });

  it('above it times about SAMPLED_PER_SECOND a second and still counts every request', () => {
    const { s, run } = traffic('busy');
    // 100,000 requests a second for 3 s.
    run(100, 1000); // settles
    const seconds = 2;
    const before = s.requests;
    const timed = run(100, seconds * 1000);
    expect(timed).toBeGreaterThan(0);
    expect(timed / seconds).toBeLessThanOrEqual(SAMPLED_PER_SECOND * 1.1);
    expect(timed / seconds).toBeGreaterThanOrEqual(SAMPLED_PER_SECOND / 2.2);
    // Each timed request stands for the `every` before it: the count is off by less than one step.
    const counted = s.requests - before;
    expect(Math.abs(counted - seconds * 100_000)).toBeLessThanOrEqual(2 * s.every);
    // When the stage goes quiet again, it is timed one by one within a sample or two.
    run(0, 300);
    const quietTimed = run(1, 500);
    expect(quietTimed).toBeGreaterThanOrEqual(490);
  });
});
