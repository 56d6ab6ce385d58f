/**
 * `--identity NAME --own` against a real dockerd: two chains (alice, bob) in front of one daemon.
 * Containers created through a chain carry its owner label whatever labels the body spells; lists,
 * inspect, logs, exec, stop and rm through a chain see only its own containers, the others answer 404
 * as if absent.
 * @module
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chain } from '../../src/backends/chain.js';
import { OWNER_LABEL } from '../../src/backends/policy/ownership.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import { exchange } from './encodings.js';
import { api, container } from './support.js';

let daemon: Daemon;
let alice: { socket: string; chain: Chain };
let bob: { socket: string; chain: Chain };
let alicesId: string;
let strangersId: string;
/** Seconds before anything was created here: the start of the events history the tests read. */
let startedAt: number;

beforeAll(async () => {
  [daemon] = (await startDaemons(1)) as [Daemon];
  startedAt = Math.floor(Date.now() / 1000) - 1;
  const { policyChain } = await import('./support.js');
  alice = await policyChain(daemon.socket, '--identity alice --own');
  bob = await policyChain(daemon.socket, '--identity bob --own');
  strangersId = await container(daemon.socket, 'running');
  // a raw body that spells Labels twice, trying to claim bob's ownership
  const body = `{"Image":"busybox:local","Cmd":["sleep","60"],"labels":{"${OWNER_LABEL}":"bob","x":"1"},"HostConfig":{"NetworkMode":"none"}}`;
  const raw = Buffer.from(
    `POST /v1.41/containers/create?name=alices HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const created = await exchange(alice.socket, raw);
  expect(created.status, created.body).toBe(201);
  alicesId = (JSON.parse(created.body) as { Id: string }).Id;
  expect((await api(alice.socket, 'POST', `/containers/${alicesId}/start`)).status).toBe(204);
}, 180_000);
afterAll(async () => {
  await alice?.chain.stop();
  await bob?.chain.stop();
  if (daemon) await stopDaemons([daemon]);
});

describe('ownership', () => {
  it('labels what a chain creates with its identity, whatever the body says', async () => {
    const i = (await api(daemon.socket, 'GET', `/containers/${alicesId}/json`)).body as {
      Config: { Labels: Record<string, string> };
    };
    expect(i.Config.Labels[OWNER_LABEL]).toBe('alice');
    expect(i.Config.Labels.x).toBe('1');
  });

  it('lists only the caller’s containers', async () => {
    const ids = async (socket: string) =>
      ((await api(socket, 'GET', '/containers/json?all=1')).body as { Id: string }[]).map((c) => c.Id);
    expect(await ids(alice.socket)).toEqual([alicesId]);
    expect(await ids(bob.socket)).toEqual([]);
    expect(await ids(daemon.socket)).toEqual(expect.arrayContaining([alicesId, strangersId]));
    // a filter of the caller's own is kept, and the owner's is added
    const filtered = await api(
      alice.socket,
      'GET',
      `/containers/json?all=1&filters=${encodeURIComponent('{"label":["x=1"]}')}`,
    );
    expect((filtered.body as { Id: string }[]).map((c) => c.Id)).toEqual([alicesId]);
  });

  it('shows each caller only its own containers’ events', async () => {
    // A bounded history (--until in the past) so the stream ends and the whole answer can be read.
    await new Promise((r) => setTimeout(r, 1_100));
    const q = `/events?since=${startedAt}&until=${Math.floor(Date.now() / 1000)}`;
    const actors = async (socket: string) => {
      const r = await api(socket, 'GET', q);
      expect(r.status).toBe(200);
      const text = typeof r.body === 'string' ? r.body : `${JSON.stringify(r.body)}\n`;
      const events = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { Type: string; Actor: { ID: string } });
      return new Set(events.filter((e) => e.Type === 'container').map((e) => e.Actor.ID));
    };
    expect([...(await actors(alice.socket))]).toEqual([alicesId]);
    expect([...(await actors(bob.socket))]).toEqual([]);
    const all = await actors(daemon.socket);
    expect(all.has(alicesId) && all.has(strangersId)).toBe(true);
  });

  it('answers 404 for anyone else’s container, as for one that does not exist', async () => {
    for (const [method, path] of [
      ['GET', `/containers/${alicesId}/json`],
      ['GET', `/containers/${alicesId.slice(0, 12)}/logs?stdout=1`],
      ['GET', '/containers/alices/json'],
      ['POST', `/containers/${alicesId}/stop`],
      ['DELETE', `/containers/${alicesId}?force=1`],
      ['GET', `/containers/${strangersId}/json`],
      // every op on one container, not a fixed list: diff and export once slipped through
      ['GET', `/containers/${alicesId}/changes`],
      ['GET', `/containers/${alicesId}/export`],
      // a container named in the query
      ['POST', `/commit?container=${alicesId}&repo=stolen`],
    ] as const) {
      const r = await api(bob.socket, method, path);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect((r.body as { message: string }).message).toMatch(/^No such container: /);
    }
    const exec = await api(bob.socket, 'POST', `/containers/${alicesId}/exec`, { Cmd: ['id'] });
    expect(exec.status).toBe(404);
    expect((await api(daemon.socket, 'GET', `/containers/${alicesId}/json`)).status).toBe(200);
  });

  it('lets the owner work on its container, by name or id prefix, exec included', async () => {
    expect((await api(alice.socket, 'GET', '/containers/alices/json')).status).toBe(200);
    const exec = await api(alice.socket, 'POST', `/containers/${alicesId.slice(0, 10)}/exec`, {
      Cmd: ['id'],
    });
    expect(exec.status).toBe(201);
    const execId = (exec.body as { Id: string }).Id;
    expect((await api(bob.socket, 'GET', `/exec/${execId}/json`)).status).toBe(404);
    expect((await api(alice.socket, 'GET', `/exec/${execId}/json`)).status).toBe(200);
    expect((await api(alice.socket, 'POST', `/containers/${alicesId}/stop?t=0`)).status).toBe(204);
    expect((await api(alice.socket, 'DELETE', `/containers/${alicesId}`)).status).toBe(204);
  });
});
