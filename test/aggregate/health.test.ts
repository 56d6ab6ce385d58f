import { describe, expect, it } from 'vitest';
import { createHealthActor, type HealthState, healthState } from '../../src/backends/aggregate/health.js';
import { SimulatedClock } from '../../src/clock.js';

/** A probe whose outcome the test flips; each probe settles on the next microtask. */
function switchableProbe() {
  const state = { up: true, calls: 0 };
  const probe = async () => {
    state.calls++;
    if (!state.up) throw new Error('connection refused');
  };
  return { state, probe };
}

async function advance(clock: SimulatedClock, ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

describe('node health machine', () => {
  it('connects, degrades on a failed call, recovers on success', async () => {
    const clock = new SimulatedClock();
    const { probe } = switchableProbe();
    const actor = createHealthActor(probe, clock);
    expect(healthState(actor)).toBe('connecting');
    await advance(clock, 10);
    expect(healthState(actor)).toBe('healthy');
    actor.send({ type: 'fail', error: 'deadline exceeded' });
    expect(healthState(actor)).toBe('degraded');
    expect(actor.getSnapshot().context.lastError).toBe('deadline exceeded');
    actor.send({ type: 'ok' });
    expect(healthState(actor)).toBe('healthy');
    actor.stop();
  });

  it('a dead node goes down within the probe schedule, backs off, and rejoins once it answers', async () => {
    const clock = new SimulatedClock();
    const { state, probe } = switchableProbe();
    const actor = createHealthActor(probe, clock);
    const seen: HealthState[] = [];
    actor.subscribe(() => {
      const s = healthState(actor);
      if (seen.at(-1) !== s) seen.push(s);
    });
    await advance(clock, 10);
    state.up = false;
    await advance(clock, 1300);
    expect(['down', 'backoff']).toContain(healthState(actor));
    expect(seen.slice(0, 4)).toEqual(['healthy', 'degraded', 'down', 'backoff']);
    // Long outage: backoff is capped, so probes keep coming at least every 2 s.
    const before = state.calls;
    await advance(clock, 10_000, 50);
    expect(state.calls - before).toBeGreaterThanOrEqual(5);
    state.up = true;
    await advance(clock, 2100, 50);
    expect(healthState(actor)).toBe('healthy');
    expect(actor.getSnapshot().context.failures).toBe(0);
    actor.stop();
  });

  it('repeated call failures take a healthy node down without waiting for probes', () => {
    const clock = new SimulatedClock();
    const actor = createHealthActor(async () => {}, clock);
    actor.send({ type: 'ok' });
    actor.send({ type: 'fail', error: 'a' });
    actor.send({ type: 'fail', error: 'b' });
    expect(healthState(actor)).toBe('down');
    expect(actor.getSnapshot().context.lastError).toBe('b');
    actor.stop();
  });
});
