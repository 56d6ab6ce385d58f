import { describe, expect, it } from 'vitest';
import { ActorSystem, type RestartType, type Signal, Supervisor } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { settle, worker } from './helpers.js';

async function exitWith(restart: RestartType, message: 'crash' | 'quit') {
  const system = new ActorSystem({ clock: new SimulatedClock() });
  const log: string[] = [];
  const signals: string[] = [];
  const sup = new Supervisor(system, { intensity: 10 });
  const ref = sup.startChild({ id: 'w', behavior: worker(log, 'w'), restart });
  const watcher = system.spawn<string>({
    receive() {},
    onSignal: (s: Signal) =>
      void signals.push(s.reason instanceof Error ? `error ${s.reason.message}` : s.reason),
  });
  system.watch(watcher, ref);
  ref.send(message);
  await settle();
  return { log, signals, sup, ref };
}

describe('restart types', () => {
  it('permanent restarts after a crash and after a normal exit; watchers hear nothing', async () => {
    for (const m of ['crash', 'quit'] as const) {
      const { log, signals, ref, sup } = await exitWith('permanent', m);
      expect(log).toEqual(['start w', `stop w ${m === 'crash' ? 'error' : 'normal'}`, 'start w']);
      expect(ref.state).toBe('running');
      expect(signals).toEqual([]);
      expect(sup.childIds()).toEqual(['w']);
    }
  });

  it('transient restarts only after an abnormal exit', async () => {
    const crashed = await exitWith('transient', 'crash');
    expect(crashed.ref.state).toBe('running');
    const quit = await exitWith('transient', 'quit');
    expect(quit.log).toEqual(['start w', 'stop w normal']);
    expect(quit.ref.state).toBe('stopped');
    expect(quit.signals).toEqual(['normal']);
    expect(quit.sup.childIds()).toEqual([]);
  });

  it('temporary is never restarted: a crash leaves it failed and tells its watchers why', async () => {
    const { log, signals, ref, sup } = await exitWith('temporary', 'crash');
    expect(log).toEqual(['start w', 'stop w error']);
    expect(ref.state).toBe('failed');
    expect(signals).toEqual(['error w crashed']);
    expect(sup.childIds()).toEqual([]);
  });
});

describe('closing a supervised child', () => {
  it('ref.close() drains, then stops for good even when permanent (the holder asked for it)', async () => {
    const system = new ActorSystem({ clock: new SimulatedClock() });
    const log: string[] = [];
    const sup = new Supervisor(system);
    const ref = sup.startChild({ id: 'w', behavior: worker(log, 'w') });
    ref.send('one');
    ref.close();
    await settle();
    expect(log).toEqual(['start w', 'w got one', 'stop w normal']);
    expect(ref.state).toBe('stopped');
    expect(sup.childIds()).toEqual([]);
  });
});
