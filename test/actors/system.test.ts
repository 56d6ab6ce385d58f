import { describe, expect, it } from 'vitest';
import { ActorSystem, BATCH_SIZE, TURN_BUDGET } from '../../src/actors/index.js';
import { isSwarmError } from '../../src/errors.js';
import { settle } from './helpers.js';

describe('ActorSystem', () => {
  it('spawns with nanoid ids, looks up by name, refuses duplicate names, counts', async () => {
    const system = new ActorSystem();
    const a = system.spawn({ receive() {} }, { name: 'a' });
    expect(a.id).toMatch(/^[\w-]{21}$/);
    expect(system.lookup('a')).toBe(a);
    expect(() => system.spawn({ receive() {} }, { name: 'a' })).toThrow();
    try {
      system.spawn({ receive() {} }, { name: 'a' });
    } catch (e) {
      expect(isSwarmError(e, 'SWARM_ERR_CONFLICT')).toBe(true);
    }
    await system.shutdown();
    expect(system.counters()).toEqual({ spawned: 1, terminated: 1, live: 0 });
    expect(system.lookup('a')).toBeUndefined();
  });

  it('drains in batches and yields to I/O once per turn, never per message', async () => {
    const system = new ActorSystem();
    const total = TURN_BUDGET * 4;
    let handled = 0;
    let immediates = 0;
    let atFirstImmediate = -1;
    const ref = system.spawn<number>({ receive: () => void handled++ }, { capacity: total });
    for (let i = 0; i < total; i++) ref.send(i);
    setImmediate(() => {
      immediates++;
      atFirstImmediate = handled;
    });
    await settle(10);
    expect(handled).toBe(total);
    expect(immediates).toBe(1);
    // I/O got a turn after the first scheduler turn, not after each message and not at the end
    expect(atFirstImmediate).toBe(TURN_BUDGET);
    expect(BATCH_SIZE).toBeLessThanOrEqual(TURN_BUDGET);
  });

  it('dead letters: subscription sees reason and recipient; stopped actors dead-letter new sends', async () => {
    const system = new ActorSystem();
    const letters: string[] = [];
    const off = system.onDeadLetter((l) =>
      letters.push(`${l.reason}:${String(l.message)}:${l.recipient === ref.id}`),
    );
    const ref = system.spawn<string>({ receive() {} }, { capacity: 1, overflow: 'dropTail' });
    ref.send('kept');
    ref.send('dropped');
    await settle();
    await system.stop(ref);
    ref.send('late');
    off();
    ref.send('unseen');
    expect(letters).toEqual(['dropTail:dropped:true', 'stopped:late:true']);
    expect(system.deadLetters.counters()).toMatchObject({ total: 3, dropTail: 1, stopped: 2 });
  });
});
