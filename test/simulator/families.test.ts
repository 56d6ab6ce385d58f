/**
 * The simulator's network, volume, image and exec families in process (no dockerd): what the CLI
 * comparison (cli-families.test.ts) cannot reach, plus fast-check properties of the new parsers:
 * the tar writer/reader round trip (whole and in arbitrary chunks), volume names and repository names.
 */
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { repoError } from '../../src/backends/simulator/refs.js';
import { readTar, type TarEntry, TarReader, writeTar } from '../../src/backends/simulator/tar.js';
import { checkVolumeName, VOLUME_NAME } from '../../src/backends/simulator/volumes.js';
import { deframe, harness } from './helpers.js';

const entry = fc.oneof(
  fc.record({
    name: fc.stringMatching(/^[a-z0-9._-]{1,40}(\/[a-z0-9._-]{1,90}){0,3}$/),
    type: fc.constant('file' as const),
    data: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    name: fc.stringMatching(/^[a-z0-9]{1,30}$/).map((n) => `${n}/`),
    type: fc.constant('dir' as const),
    data: fc.constant(Buffer.alloc(0)),
  }),
  fc.record({
    name: fc.stringMatching(/^[a-z0-9]{1,30}$/),
    type: fc.constant('link' as const),
    data: fc.constant(Buffer.alloc(0)),
    target: fc.stringMatching(/^[a-z0-9/]{1,150}$/),
  }),
);

const shape = (e: TarEntry) => ({
  name: e.name,
  type: e.type,
  data: e.data.toString('hex'),
  target: e.target,
});

describe('tar (fast-check)', () => {
  it('writeTar then readTar gives the entries back, names over 100 bytes included', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
        expect(readTar(writeTar(entries)).map(shape)).toEqual(entries.map(shape));
      }),
    );
  });

  it('the incremental reader gives the same entries whatever the chunking; a cut archive is unexpected EOF', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 700 })),
        (entries, cuts) => {
          const bytes = writeTar(entries);
          const got: TarEntry[] = [];
          const r = new TarReader((e) => got.push(e));
          let at = 0;
          for (const n of cuts) {
            r.push(bytes.subarray(at, at + n));
            at += n;
          }
          r.push(bytes.subarray(at));
          r.end();
          expect(got.map(shape)).toEqual(entries.map(shape));
          const cut = new TarReader(() => {});
          cut.push(bytes.subarray(0, Math.max(1, bytes.length - 1024 - 1)));
          expect(() => cut.end()).toThrow('unexpected EOF');
        },
      ),
    );
  });
});

describe('names (fast-check)', () => {
  it('a volume name is accepted exactly when it matches [a-zA-Z0-9][a-zA-Z0-9_.-]+', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (name) => {
        let accepted = true;
        try {
          checkVolumeName(name);
        } catch (err) {
          accepted = false;
          expect((err as Error).message).toMatch(
            new RegExp(`^create ${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `),
          );
        }
        expect(accepted).toBe(VOLUME_NAME.test(name));
      }),
    );
  });

  it('lowercase repository paths are valid; an uppercase letter is "must be lowercase"', () => {
    // No dots: a first component with a dot is a registry host, where upper case is allowed.
    const component = fc.stringMatching(/^[a-z0-9]+([_-][a-z0-9]+)?$/);
    fc.assert(
      fc.property(fc.array(component, { minLength: 1, maxLength: 3 }), (parts) => {
        const repo = parts.join('/');
        expect(repoError(repo)).toBeUndefined();
        if (/[a-z]/.test(repo)) {
          expect(repoError(repo.toUpperCase())).toBe(
            'invalid reference format: repository name must be lowercase',
          );
        }
      }),
    );
    expect(repoError('')).toBe('invalid reference format');
    expect(repoError('a b')).toBe('invalid reference format');
    expect(repoError('localhost:5000/x')).toBeUndefined();
    expect(repoError('Registry.Example:5000/x')).toBeUndefined();
    expect(repoError('a.b/X')).toBe('invalid reference format: repository name must be lowercase');
  });
});

describe('simulator families in process', () => {
  it('exec: create, start attached, inspect, resize while running, 404s', async () => {
    const h = harness();
    const { body } = (
      await h.call('container.create', { body: { Image: 'busybox:local', Cmd: ['sleep', 'infinity'] } })
    ).args;
    const cid = (body as { Id: string }).Id;
    await h.call('container.start', { id: cid });
    const made = await h.call('container.exec', {
      id: cid,
      body: { AttachStdout: true, Cmd: ['sh', '-c', 'echo hi; exit 3'] },
    });
    expect(made.args.status).toBe(201);
    const eid = (made.args.body as { Id: string }).Id;
    const before = await h.call('exec.inspect', { id: eid });
    expect(before.args.body).toMatchObject({ Running: false, ExitCode: null, ContainerID: cid });
    const started = await h.call('exec.start', { id: eid, body: {}, stream: new PassThrough() });
    expect(started.args.status).toBe(101);
    const out = await text(started.stream as PassThrough);
    expect(deframe(Buffer.from(out, 'latin1'))).toEqual([[1, 'hi\n']]);
    expect((await h.call('exec.inspect', { id: eid })).args.body).toMatchObject({
      Running: false,
      ExitCode: 3,
    });
    expect((await h.call('exec.start', { id: eid, body: {} })).args).toMatchObject({
      status: 409,
      message: `Error: Exec command ${eid} has already run`,
    });
    expect((await h.call('exec.resize', { id: eid, query: { h: '10', w: '10' } })).args.status).toBe(404);
    const long = await h.call('container.exec', { id: cid, body: { Cmd: ['sleep', 'infinity'] } });
    const lid = (long.args.body as { Id: string }).Id;
    expect((await h.call('exec.start', { id: lid, body: { Detach: true } })).args.status).toBe(200);
    expect((await h.call('exec.resize', { id: lid, query: { h: '10', w: '80' } })).args.status).toBe(200);
    expect((await h.call('container.inspect', { id: cid })).args.body).toMatchObject({ ExecIDs: [lid] });
    expect((await h.call('exec.inspect', { id: 'nope' })).args).toMatchObject({
      status: 404,
      message: 'No such exec instance: nope',
    });
    // The exec dies with its container.
    await h.call('container.kill', { id: cid });
    await h.settle();
    expect((await h.call('exec.inspect', { id: lid })).args.body).toMatchObject({
      Running: false,
      ExitCode: 137,
    });
  });

  it('what the simulator does not model answers like dockerd, naming the simulator', async () => {
    const h = harness();
    expect((await h.call('network.create', { body: { Name: 'x', Driver: 'macvlan' } })).args).toMatchObject({
      status: 404,
      message: 'plugin "macvlan" not found',
    });
    expect((await h.call('network.create', { body: { Name: 'x', EnableIPv6: true } })).args).toMatchObject({
      status: 501,
      message: 'the simulator does not model IPv6 networks',
    });
    expect((await h.call('plugin.list')).args).toMatchObject({ status: 501 });
    expect((await h.call('plugin.list')).args.message).toContain(
      'the simulator does not implement plugin.list',
    );
  });

  it("save | load round-trips the simulator's own image (id, tags, files)", async () => {
    const h = harness();
    const saved = await h.call('image.get', { id: 'busybox:local' });
    const tar = Buffer.from(await new Response(saved.stream as unknown as ReadableStream).arrayBuffer());
    const inspect = (await h.call('image.inspect', { id: 'busybox:local' })).args.body as { Id: string };
    const rm = await h.call('image.remove', { id: 'busybox:local' });
    expect(rm.args.body).toEqual([
      { Untagged: 'busybox:local' },
      { Deleted: inspect.Id },
      { Deleted: expect.stringMatching(/^sha256:/) },
    ]);
    const upload = new PassThrough();
    upload.end(tar);
    const loaded = await h.call('image.load', { stream: upload });
    expect(await text(loaded.stream as PassThrough)).toBe('{"stream":"Loaded image: busybox:local\\n"}\n');
    expect((await h.call('image.inspect', { id: 'busybox:local' })).args.body).toMatchObject({
      Id: inspect.Id,
    });
    const bad = new PassThrough();
    bad.end('garbage');
    const refused = await h.call('image.load', { stream: bad });
    expect(await text(refused.stream as PassThrough)).toContain(
      'Error processing tar file(exit status 1): unexpected EOF',
    );
  });
});
