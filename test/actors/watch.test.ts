import { describe, expect, it } from 'vitest';
import { ActorSystem, type Signal } from '../../src/actors/index.js';
import { settle } from './helpers.js';

describe('watch / terminated', () => {
  it('delivers terminated with the reason on the system lane, before queued user messages', async () => {
    const system = new ActorSystem();
    const log: string[] = [];
    const watcher = system.spawn<string>({
      receive: (m) => void log.push(`msg ${m}`),
      onSignal: (s: Signal) => void log.push(`terminated ${s.ref.name} ${String(s.reason)}`),
    });
    const target = system.spawn<string>({ receive: (_m, ctx) => ctx.stop() }, { name: 't' });
    system.watch(watcher, target);
    target.send('quit');
    await settle();
    watcher.send('a'); // queued behind... nothing: the signal came first
    await settle();
    expect(log).toEqual(['terminated t normal', 'msg a']);
    expect(system.lookup('t')).toBeUndefined();
  });

  it('watching an actor already gone notifies at once; unwatch stops notifications; ctx.watch works', async () => {
    const system = new ActorSystem();
    const got: string[] = [];
    const watcher = system.spawn<string>({
      receive() {},
      onSignal: (s) => void got.push(String(s.reason)),
    });
    const dead = system.spawn({ receive() {} });
    await system.stop(dead);
    system.watch(watcher, dead);
    const other = system.spawn({ receive() {} });
    system.watch(watcher, other);
    system.unwatch(watcher, other);
    await system.stop(other);
    const viaCtx = system.spawn<string>({
      receive() {},
    });
    const w2 = system.spawn<'go'>({
      receive: (_m, ctx) => ctx.watch(viaCtx),
      onSignal: (s) => void got.push(`ctx ${String(s.reason)}`),
    });
    w2.send('go');
    await settle();
    await system.stop(viaCtx);
    await settle();
    expect(got).toEqual(['shutdown', 'ctx shutdown']);
  });
});
