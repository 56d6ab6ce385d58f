import { describe, expect, it } from 'vitest';
import { ActorSystem, type InspectionEvent, Supervisor } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { isSwarmError } from '../../src/errors.js';
import { settle, worker } from './helpers.js';

describe('restart intensity', () => {
  it('more than `intensity` restarts within `period` stops the children and fails the supervisor', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const log: string[] = [];
    const sup = new Supervisor(system, {
      intensity: 2,
      period: 1000,
      children: [
        { id: 'a', behavior: worker(log, 'a') },
        { id: 'b', behavior: worker(log, 'b') },
      ],
    });
    const a = sup.child<string>('a');
    const b = sup.child<string>('b');
    b?.send('crash');
    b?.send('crash');
    await settle();
    expect(sup.status).toBe('running');
    clock.advance(999);
    b?.send('crash'); // third within 1000 ms
    await settle();
    expect(sup.status).toBe('failed');
    expect(a?.state).toBe('stopped');
    expect(b?.state).toBe('failed');
    const reason = await sup.terminated;
    expect(isSwarmError(reason, 'SWARM_ERR_RESTART_INTENSITY')).toBe(true);
    expect(log.slice(-2)).toEqual(['stop b error', 'stop a shutdown']);
  });

  it('restarts spread over more than the period are tolerated', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const sup = new Supervisor(system, {
      intensity: 1,
      period: 100,
      children: [{ id: 'a', behavior: worker([], 'a') }],
    });
    for (let i = 0; i < 5; i++) {
      sup.child<string>('a')?.send('crash');
      await settle();
      clock.advance(101);
    }
    expect(sup.status).toBe('running');
  });

  it('a nested supervisor that gives up escalates: the parent restarts it, then gives up itself', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const events: string[] = [];
    system.inspect((e: InspectionEvent) => {
      if (e.type === 'supervisor') events.push(`${e.supervisor} ${e.action} ${e.child ?? ''}`.trim());
    });
    const top = new Supervisor(system, { name: 'top', intensity: 1, period: 10_000 });
    const inner = top.startSupervisor('inner', {
      intensity: 0,
      children: [{ id: 'w', behavior: worker([], 'w') }],
    });
    const first = inner.child<string>('w');
    first?.send('crash');
    await settle();
    expect(first?.state).toBe('failed');
    const second = inner.child<string>('w');
    expect(second).not.toBe(first); // the restarted supervisor started its children afresh
    expect(second?.state).toBe('running');
    expect(inner.status).toBe('running');
    second?.send('crash');
    await settle();
    expect(top.status).toBe('failed');
    const reason = await top.terminated;
    expect(isSwarmError(reason, 'SWARM_ERR_RESTART_INTENSITY')).toBe(true);
    expect(isSwarmError((reason as Error).cause, 'SWARM_ERR_RESTART_INTENSITY')).toBe(true);
    expect(events).toEqual(['inner give-up w', 'top restart inner', 'inner give-up w', 'top give-up inner']);
  });
});
