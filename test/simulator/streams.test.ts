import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { deframe, harness } from './helpers.js';

const ATTACH = { stream: '1', stdout: '1', stderr: '1', stdin: '1' };
const INTERACTIVE = { AttachStdin: true, OpenStdin: true, StdinOnce: true };

describe('simulator streams', () => {
  test('echo x | run -i cat: stdin sent and ended before start is echoed back, then EOF exits 0', async () => {
    const h = harness();
    const id = await h.create(['cat'], INTERACTIVE);
    const stdin = new PassThrough();
    const at = await h.call('container.attach', { id, query: ATTACH, stream: stdin });
    stdin.end('piped-in\nsecond\n');
    await h.settle();
    const w = await h.call('container.wait', { id, query: { condition: 'next-exit' } });
    await h.call('container.start', { id });
    const frames = deframe(await buffer(at.stream as PassThrough));
    expect(frames.map(([s]) => s).every((s) => s === 1)).toBe(true);
    expect(frames.map(([, t]) => t).join('')).toBe('piped-in\nsecond\n');
    expect((await buffer(w.stream as PassThrough)).toString()).toBe('{"Error":null,"StatusCode":0}\n');
  });

  test('cat with stdin attached after start keeps running until stdin ends', async () => {
    const h = harness();
    const id = await h.create(['cat'], INTERACTIVE);
    await h.call('container.start', { id });
    const stdin = new PassThrough();
    const at = await h.call('container.attach', { id, query: ATTACH, stream: stdin });
    stdin.write('one\n');
    await h.settle();
    expect(h.engine.containers.get(id).status).toBe('running');
    stdin.end('two\n');
    const frames = deframe(await buffer(at.stream as PassThrough));
    expect(frames.map(([, t]) => t).join('')).toBe('one\ntwo\n');
    expect(h.engine.containers.get(id).status).toBe('exited');
  });

  test('tty: raw bytes with \\r\\n, interactive sh runs typed commands and exit N', async () => {
    const h = harness();
    const id = await h.create(['sh'], { ...INTERACTIVE, Tty: true });
    const stdin = new PassThrough();
    const at = await h.call('container.attach', { id, query: ATTACH, stream: stdin });
    const out = buffer(at.stream as PassThrough);
    await h.call('container.start', { id });
    stdin.write('echo hi-tty\r');
    await h.settle();
    stdin.write('exit 5\r');
    const text = (await out).toString();
    expect(text).toContain('hi-tty\r\n');
    expect(text.startsWith('/ # ')).toBe(true);
    expect(text).not.toMatch(/[^\r]\n/);
    const body = (await h.call('container.inspect', { id })).args.body as { State: { ExitCode: number } };
    expect(body.State.ExitCode).toBe(5);
  });

  test('attach without stream=1 replays logs (logs=1) and ends at once', async () => {
    const h = harness();
    const id = await h.create(['echo', 'hello']);
    await h.call('container.start', { id });
    await h.settle();
    const at = await h.call('container.attach', { id, query: { logs: '1', stdout: '1' } });
    expect(deframe(await buffer(at.stream as PassThrough))).toEqual([[1, 'hello\n']]);
  });

  test('wait: not-running answers at once when stopped; next-exit waits for the next run; removed waits for rm', async () => {
    const h = harness();
    const id = await h.create(['sh', '-c', 'sleep 1; exit 7']);
    const early = await h.call('container.wait', { id });
    expect((await buffer(early.stream as PassThrough)).toString()).toContain('"StatusCode":0');
    await h.call('container.start', { id });
    await h.settle();
    const notRunning = await h.call('container.wait', { id, query: { condition: 'not-running' } });
    const removed = await h.call('container.wait', { id, query: { condition: 'removed' } });
    let removedDone = false;
    const removedBody = buffer(removed.stream as PassThrough).then((b) => {
      removedDone = true;
      return b.toString();
    });
    h.clock.advance(1000);
    expect((await buffer(notRunning.stream as PassThrough)).toString()).toBe(
      '{"Error":null,"StatusCode":7}\n',
    );
    const next = await h.call('container.wait', { id, query: { condition: 'next-exit' } });
    let nextDone = false;
    const nextBody = buffer(next.stream as PassThrough).then((b) => {
      nextDone = true;
      return b.toString();
    });
    await h.settle();
    expect(nextDone).toBe(false);
    expect(removedDone).toBe(false);
    await h.call('container.start', { id });
    h.clock.advance(1000);
    expect(await nextBody).toContain('"StatusCode":7');
    expect(removedDone).toBe(false);
    await h.call('container.remove', { id });
    expect(await removedBody).toBe('{"Error":null,"StatusCode":7}\n');
    const bad = await h.call('container.wait', { id: 'nosuch' });
    expect(bad.args).toMatchObject({ status: 404, message: 'No such container: nosuch' });
  });

  test('a wait the client abandons is forgotten (no leak)', async () => {
    const h = harness();
    const id = await h.create(['sleep', '10']);
    const w = await h.call('container.wait', { id, query: { condition: 'next-exit' } });
    expect(h.engine.containers.get(id).waiters.size).toBe(1);
    (w.stream as PassThrough).destroy();
    await h.settle();
    expect(h.engine.containers.get(id).waiters.size).toBe(0);
    const bad = await h.call('container.wait', { id, query: { condition: 'sometime' } });
    expect(bad.args.status).toBe(400);
  });

  test('logs: tail, timestamps, stream selection, follow until exit', async () => {
    const h = harness();
    const id = await h.create(['sh', '-c', 'echo a; echo b >&2; echo c; sleep 2; echo d']);
    await h.call('container.start', { id });
    await h.settle();
    const tail = await h.call('container.logs', { id, query: { stdout: '1', stderr: '1', tail: '2' } });
    expect(deframe(await buffer(tail.stream as PassThrough))).toEqual([
      [2, 'b\n'],
      [1, 'c\n'],
    ]);
    const onlyOut = await h.call('container.logs', { id, query: { stdout: '1', timestamps: '1' } });
    const lines = deframe(await buffer(onlyOut.stream as PassThrough)).map(([, t]) => t);
    expect(lines).toEqual(['2026-01-01T00:00:00Z a\n', '2026-01-01T00:00:00Z c\n']);
    const follow = await h.call('container.logs', { id, query: { stdout: '1', follow: '1', tail: '0' } });
    const followed = buffer(follow.stream as PassThrough);
    h.clock.advance(2000);
    expect(deframe(await followed)).toEqual([[1, 'd\n']]);
    const none = await h.call('container.logs', { id, query: {} });
    expect(none.args).toMatchObject({
      status: 400,
      message: 'Bad parameters: you must choose at least one stream',
    });
  });
});
