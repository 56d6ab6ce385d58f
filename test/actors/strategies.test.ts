import { describe, expect, it } from 'vitest';
import { ActorSystem, type Strategy, Supervisor } from '../../src/actors/index.js';
import { SimulatedClock } from '../../src/clock.js';
import { settle, worker } from './helpers.js';

async function crashB(strategy: Strategy, temporaryC = false) {
  const system = new ActorSystem({ clock: new SimulatedClock() });
  const log: string[] = [];
  const sup = new Supervisor(system, {
    strategy,
    intensity: 10,
    children: ['a', 'b', 'c'].map((id) => ({
      id,
      behavior: worker(log, id),
      restart: id === 'c' && temporaryC ? ('temporary' as const) : ('permanent' as const),
    })),
  });
  const refs = sup.childIds().map((id) => sup.child<string>(id));
  log.length = 0;
  sup.child<string>('b')?.send('crash');
  sup.child<string>('b')?.send('after'); // waits in the kept mailbox, handled by the new incarnation
  await settle();
  return { log, sup, refs, system };
}

describe('supervision strategies', () => {
  it('one_for_one restarts only the failed child, keeping its ref and mailbox', async () => {
    const { log, sup, refs } = await crashB('one_for_one');
    expect(log).toEqual(['stop b error', 'start b', 'b got after']);
    expect(sup.childIds().map((id) => sup.child(id))).toEqual(refs);
    expect(refs.map((r) => r?.state)).toEqual(['running', 'running', 'running']);
  });

  it('one_for_all stops the others in reverse start order, then restarts all in start order', async () => {
    const { log } = await crashB('one_for_all');
    expect(log).toEqual([
      'stop b error',
      'stop c shutdown',
      'stop a shutdown',
      'start a',
      'start b',
      'start c',
      'b got after',
    ]);
  });

  it('rest_for_one restarts the failed child and those started after it', async () => {
    const { log } = await crashB('rest_for_one');
    expect(log).toEqual(['stop b error', 'stop c shutdown', 'start b', 'start c', 'b got after']);
  });

  it('a temporary sibling is stopped for good by a sibling-triggered restart, never restarted', async () => {
    const { log, sup, refs, system } = await crashB('one_for_all', true);
    expect(log).toEqual([
      'stop b error',
      'stop c shutdown',
      'stop a shutdown',
      'start a',
      'start b',
      'b got after',
    ]);
    expect(sup.childIds()).toEqual(['a', 'b']);
    expect(refs[2]?.state).toBe('stopped');
    refs[2]?.send('late');
    expect(system.deadLetters.counters().stopped).toBe(1);
  });
});
