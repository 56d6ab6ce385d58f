import { describe, expect, it } from 'vitest';
import {
  ActorSystem,
  createLifecycleActor,
  type InspectionEvent,
  lifecycleMachine,
  nextLifecycleState,
} from '../../src/actors/index.js';
import { settle } from './helpers.js';

describe('lifecycle', () => {
  it('the table agrees with the xstate machine run as an actor', () => {
    const actor = createLifecycleActor();
    expect(actor.getSnapshot().value).toBe('starting');
    for (const type of ['started', 'restart', 'started', 'stop', 'stopped'] as const) {
      const before = actor.getSnapshot().value as 'starting';
      actor.send({ type });
      expect(actor.getSnapshot().value).toBe(nextLifecycleState(before, type));
    }
    expect(actor.getSnapshot().status).toBe('done');
    expect(lifecycleMachine.id).toBe('actor-lifecycle');
    expect(nextLifecycleState('stopped', 'started')).toBeUndefined();
    expect(nextLifecycleState('running', 'stopped')).toBeUndefined();
  });

  it('an actor walks starting → running → restarting → running → stopping → stopped', async () => {
    const system = new ActorSystem();
    const seen: string[] = [];
    system.inspect((e: InspectionEvent) => {
      if (e.type === 'transition') seen.push(`${e.from}>${e.to}`);
    });
    const ref = system.spawn<number>({
      receive(n) {
        if (n < 0) throw new Error('x');
      },
    });
    expect(ref.state).toBe('running');
    ref.send(-1);
    await settle();
    await system.stop(ref);
    expect(ref.state).toBe('stopped');
    expect(seen).toEqual([
      'starting>running',
      'running>restarting',
      'restarting>running',
      'running>stopping',
      'stopping>stopped',
    ]);
  });

  it('a failing start hook without a supervisor ends in failed; close() ends in stopped after draining', async () => {
    const system = new ActorSystem();
    const bad = system.spawn({
      receive() {},
      start() {
        throw new Error('init failed');
      },
    });
    expect(bad.state).toBe('failed');
    const got: number[] = [];
    const ref = system.spawn<number>({ receive: (n) => void got.push(n) });
    ref.send(1);
    ref.send(2);
    ref.close();
    expect(ref.closed).toBe(true);
    expect(() => ref.send(3)).toThrow(/closed/);
    await settle();
    expect(got).toEqual([1, 2]);
    expect(ref.state).toBe('stopped');
    expect(system.mailboxCounters(ref).refused).toBe(1);
  });
});
