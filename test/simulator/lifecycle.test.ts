import type { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, test } from 'vitest';
import { deframe, harness } from './helpers.js';

describe('simulator lifecycle', () => {
  test('run --rm: attach, wait removed, start → frames, exit code, auto-removal', async () => {
    const h = harness();
    const id = await h.create(['sh', '-c', 'echo out1; echo err1 >&2; exit 3'], {
      HostConfig: { AutoRemove: true },
    });
    const at = await h.call('container.attach', { id, query: { stream: '1', stdout: '1', stderr: '1' } });
    expect(at.args).toMatchObject({ status: 101, mode: 'raw-stream' });
    const w = await h.call('container.wait', { id, query: { condition: 'removed' } });
    expect(w.args).toMatchObject({
      status: 200,
      mode: 'chunked',
      headers: { 'Content-Type': 'application/json' },
    });
    expect((await h.call('container.start', { id })).args.status).toBe(204);
    expect(deframe(await buffer(at.stream as PassThrough))).toEqual([
      [1, 'out1\n'],
      [2, 'err1\n'],
    ]);
    expect((await buffer(w.stream as PassThrough)).toString()).toBe('{"Error":null,"StatusCode":3}\n');
    const gone = await h.call('container.inspect', { id });
    expect(gone.args).toMatchObject({ status: 404, message: `No such container: ${id}` });
  });

  test('start/stop 304, stop sends TERM (143), kill sends KILL (137), timestamps move with the clock', async () => {
    const h = harness();
    const id = await h.create(['sleep', '300'], {}, 's1');
    expect((await h.call('container.start', { id: 's1' })).args.status).toBe(204);
    expect((await h.call('container.start', { id: 's1' })).args.status).toBe(304);
    h.clock.advance(3000);
    const rows = (await h.call('container.list')).args.body as { Status: string; State: string }[];
    expect(rows[0]).toMatchObject({ State: 'running', Status: 'Up 3 seconds' });
    expect((await h.call('container.stop', { id: 's1' })).args.status).toBe(204);
    let state = ((await h.call('container.inspect', { id })).args.body as { State: Record<string, unknown> })
      .State;
    expect(state).toMatchObject({ Status: 'exited', Running: false, ExitCode: 143, Pid: 0 });
    expect(state.FinishedAt).toBe('2026-01-01T00:00:03Z');
    expect((await h.call('container.stop', { id })).args.status).toBe(304);
    h.clock.advance(2000);
    const all = (await h.call('container.list', { query: { all: '1' } })).args.body as { Status: string }[];
    expect(all[0]?.Status).toBe('Exited (143) 2 seconds ago');
    await h.call('container.start', { id });
    expect((await h.call('container.kill', { id })).args.status).toBe(204);
    await h.settle();
    state = ((await h.call('container.inspect', { id })).args.body as { State: Record<string, unknown> })
      .State;
    expect(state.ExitCode).toBe(137);
    const k = await h.call('container.kill', { id: 's1' });
    expect(k.args).toMatchObject({
      status: 409,
      message: `Cannot kill container: s1: Container ${id} is not running`,
    });
  });

  test('stop waits t seconds for a process that traps TERM, then KILLs', async () => {
    const h = harness();
    const id = await h.create(['sh', '-c', "trap '' TERM; sleep 100"]);
    await h.call('container.start', { id });
    await h.settle();
    let stopped = false;
    const stop = h.call('container.stop', { id, query: { t: '2' } }).then((r) => {
      stopped = true;
      return r;
    });
    await h.settle();
    h.clock.advance(1999);
    await h.settle();
    expect(stopped).toBe(false);
    h.clock.advance(1);
    expect((await stop).args.status).toBe(204);
    const body = (await h.call('container.inspect', { id })).args.body as { State: { ExitCode: number } };
    expect(body.State.ExitCode).toBe(137);
    expect(h.clock.pendingTimers).toBe(0);
  });

  test('sleep ends on the simulated clock; pause freezes it; unpause resumes the rest', async () => {
    const h = harness();
    const id = await h.create(['sh', '-c', 'sleep 5; echo done; exit 4']);
    await h.call('container.start', { id });
    await h.settle();
    h.clock.advance(2000);
    expect((await h.call('container.pause', { id })).args.status).toBe(204);
    expect((await h.call('container.pause', { id })).args).toMatchObject({ status: 409 });
    const rm = await h.call('container.remove', { id });
    expect(rm.args.message).toMatch(/^You cannot remove a paused container/);
    h.clock.advance(60_000);
    await h.settle();
    let state = ((await h.call('container.inspect', { id })).args.body as { State: { Status: string } })
      .State;
    expect(state.Status).toBe('paused');
    await h.call('container.unpause', { id });
    h.clock.advance(2999);
    await h.settle();
    expect(h.engine.containers.get(id).status).toBe('running');
    h.clock.advance(1);
    await h.settle();
    state = (
      (await h.call('container.inspect', { id })).args.body as { State: { Status: string; ExitCode: number } }
    ).State;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 4 });
    const logs = await h.call('container.logs', { id, query: { stdout: '1', stderr: '1' } });
    expect(deframe(await buffer(logs.stream as PassThrough))).toEqual([[1, 'done\n']]);
  });

  test('rm of a running container is refused; rm -f kills and removes; names free up', async () => {
    const h = harness();
    const id = await h.create(['sleep', 'infinity'], {}, 'r1');
    await h.call('container.start', { id });
    expect(h.clock.pendingTimers).toBe(0); // sleep infinity holds no timer
    const r = await h.call('container.remove', { id: 'r1' });
    expect(r.args).toMatchObject({
      status: 409,
      message: `You cannot remove a running container ${id}. Stop the container before attempting removal or force remove`,
    });
    expect((await h.call('container.remove', { id: 'r1', query: { force: '1' } })).args.status).toBe(204);
    expect(h.engine.containers.size).toBe(0);
    await h.create(['true'], {}, 'r1');
  });

  test('unknown command fails start like dockerd (exit 127, created state)', async () => {
    const h = harness();
    const id = await h.create(['nosuchcmd', 'x']);
    const r = await h.call('container.start', { id });
    expect(r.args.status).toBe(400);
    expect(r.args.message).toContain('exec: "nosuchcmd": executable file not found in $PATH');
    const body = (await h.call('container.inspect', { id })).args.body as { State: Record<string, unknown> };
    expect(body.State).toMatchObject({ Status: 'created', ExitCode: 127 });
    // Inside a shell an unknown command is the shell's error, not a start failure.
    const id2 = await h.create(['sh', '-c', 'nosuch; echo after']);
    await h.call('container.start', { id: id2 });
    await h.settle();
    const logs = await h.call('container.logs', { id: id2, query: { stdout: '1', stderr: '1' } });
    expect(deframe(await buffer(logs.stream as PassThrough))).toEqual([
      [2, 'sh: nosuch: not found\n'],
      [1, 'after\n'],
    ]);
  });

  test('rename: conflict text, same-name and empty errors, then the old name is free', async () => {
    const h = harness();
    const a = await h.create(['true'], {}, 'ca');
    const b = await h.create(['true'], {}, 'cb');
    const conflictMsg = `Conflict. The container name "/cb" is already in use by container "${b}". You have to remove (or rename) that container to be able to reuse that name.`;
    expect((await h.call('container.rename', { id: 'ca', query: { name: 'cb' } })).args).toMatchObject({
      status: 409,
      message: conflictMsg,
    });
    expect(
      (await h.call('container.create', { query: { name: 'cb' }, body: { Image: 'busybox:local' } })).args,
    ).toMatchObject({
      status: 409,
      message: conflictMsg,
    });
    expect((await h.call('container.rename', { id: 'ca', query: { name: 'ca' } })).args.status).toBe(400);
    expect((await h.call('container.rename', { id: 'ca', query: {} })).args.status).toBe(400);
    expect((await h.call('container.rename', { id: 'ca', query: { name: 'cc' } })).args.status).toBe(204);
    expect((await h.call('container.inspect', { id: 'cc' })).args.body).toMatchObject({ Id: a, Name: '/cc' });
    expect((await h.call('container.inspect', { id: 'ca' })).args.status).toBe(404);
  });

  test('resolution: full id, name, unique prefix; ambiguous prefix is dockerd’s 500', async () => {
    const h = harness();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await h.create(['true']));
    const first = ids[0] as string;
    expect((await h.call('container.inspect', { id: first })).args.status).toBe(200);
    expect((await h.call('container.inspect', { id: first.slice(0, 12) })).args.status).toBe(200);
    // 40 ids over 16 first digits: some digit is shared.
    const shared = ids.find((x, i) => ids.some((y, j) => i !== j && y[0] === x[0])) as string;
    const r = await h.call('container.inspect', { id: shared[0] as string });
    expect(r.args).toMatchObject({
      status: 500,
      message: `Multiple IDs found with provided prefix: ${shared[0]}`,
    });
    expect((await h.call('container.inspect', { id: 'zz-nope' })).args.message).toBe(
      'No such container: zz-nope',
    );
  });

  test('generated names are adjective_surname and unique', async () => {
    const h = harness();
    const names = new Set<string>();
    for (let i = 0; i < 200; i++) {
      await h.create(['true']);
    }
    for (const c of h.engine.containers.newestFirst()) names.add(c.name);
    expect(names.size).toBe(200);
    for (const n of names) expect(n).toMatch(/^[a-z]+_[a-z]+\d*$/);
  });

  test('create errors: bad name, missing image, no command', async () => {
    const h = harness();
    const bad = await h.call('container.create', { query: { name: 'x' }, body: { Image: 'busybox:local' } });
    expect(bad.args.message).toBe('Invalid container name (x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    const img = await h.call('container.create', { body: { Image: 'busybox:nosuch' } });
    expect(img.args).toMatchObject({ status: 404, message: 'No such image: busybox:nosuch' });
    const cmd = await h.call('container.create', {
      body: { Image: 'busybox:local', Cmd: [], Entrypoint: [] },
    });
    expect(cmd.args).toMatchObject({ status: 400, message: 'No command specified' });
    const none = await h.call('container.create', {});
    expect(none.args.status).toBe(400);
    expect(h.engine.containers.size).toBe(0);
  });
});
