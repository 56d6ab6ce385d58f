import { describe, expect, it } from 'vitest';
import { ActorSystem, Supervisor } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { settle, worker } from './helpers.js';

describe('supervisor shutdown', () => {
  it('stops children in reverse start order, giving a hanging stop hook only its timeout', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const log: string[] = [];
    const sup = new Supervisor(system, {
      shutdownTimeout: 1000,
      children: [
        { id: 'a', behavior: worker(log, 'a') },
        {
          id: 'b',
          shutdownTimeout: 300,
          behavior: {
            receive() {},
            stop: () => {
              log.push('stop b (hangs)');
              return new Promise<void>(() => {});
            },
          },
        },
        { id: 'c', behavior: worker(log, 'c') },
      ],
    });
    log.length = 0;
    let done = false;
    const stopping = sup.stop().then(() => {
      done = true;
    });
    await settle();
    expect(log).toEqual(['stop c shutdown', 'stop b (hangs)']);
    clock.advance(299);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await stopping;
    expect(log).toEqual(['stop c shutdown', 'stop b (hangs)', 'stop a shutdown']);
    expect(clock.pendingTimers).toBe(0);
    expect(await sup.terminated).toBe('shutdown');
    expect(system.counters().live).toBe(0);
  });

  it('an async stop hook that finishes in time is awaited; nested supervisors stop in order too', async () => {
    const clock = new SimulatedClock();
    const system = new ActorSystem({ clock });
    const log: string[] = [];
    const top = new Supervisor(system, { children: [{ id: 'a', behavior: worker(log, 'a') }] });
    const inner = top.startSupervisor('inner', {
      children: [
        { id: 'x', behavior: worker(log, 'x') },
        {
          id: 'y',
          behavior: {
            receive() {},
            stop: async () => {
              await Promise.resolve();
              log.push('stop y async');
            },
          },
        },
      ],
    });
    top.startChild({ id: 'z', behavior: worker(log, 'z') });
    log.length = 0;
    await top.stop();
    expect(log).toEqual(['stop z shutdown', 'stop y async', 'stop x shutdown', 'stop a shutdown']);
    expect(inner.status).toBe('stopped');
    expect(clock.pendingTimers).toBe(0);
  });

  it('system.stop on a supervised child removes it from its supervisor (no restart)', async () => {
    const system = new ActorSystem({ clock: new SimulatedClock() });
    const sup = new Supervisor(system);
    const ref = system.spawn<string>(worker([], 'w'), { supervisor: sup, name: 'w' });
    expect(sup.childIds()).toEqual(['w']);
    await system.stop(ref);
    await settle();
    expect(sup.childIds()).toEqual([]);
    expect(ref.state).toBe('stopped');
  });
});
