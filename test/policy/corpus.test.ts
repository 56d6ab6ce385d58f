import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Chain } from '../../src/backends/chain.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import { BODY_ENCODINGS, ENCODINGS, exchange, loadCorpus, rawRequest } from './encodings.js';
import { api, container, containerIds, execIds, policyChain } from './support.js';

const DENY = loadCorpus('deny.json').filter((c) => c.modes?.includes('chain'));
const ALLOW = loadCorpus('allow.json');

let daemon: Daemon;
let front: { socket: string; chain: Chain };
let target: string; // a running container for exec cases

beforeAll(async () => {
  [daemon] = (await startDaemons(1)) as [Daemon];
  front = await policyChain(daemon.socket, '');
  target = await container(daemon.socket, 'running');
}, 180_000);
afterAll(async () => {
  await front?.chain.stop();
  if (daemon) await stopDaemons([daemon]);
});

describe(`deny corpus: ${DENY.length} shapes × up to ${ENCODINGS.length} encodings`, () => {
  it.each(DENY.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const path = c.path.replace('{id}', target);
      const encodings = ENCODINGS.filter((e) => c.body !== undefined || !BODY_ENCODINGS.includes(e));
      const before = { ids: await containerIds(daemon.socket), execs: await execIds(daemon.socket, target) };
      for (const enc of encodings) {
        const ans = await exchange(front.socket, rawRequest(c, path, enc));
        // Content-Length: 0 hides the body from the request: an empty create/exec is refused as unreadable.
        const rule = enc === 'content-length-0' ? 'body' : c.rule;
        if (enc === 'url-encoded' && ans.status === 404) {
          // dockerserver's router matches the raw path, so a percent-encoded route word never reaches the
          // policy (dockerd would decode and route it): refused before it could be checked, not passed.
          expect(JSON.parse(ans.body).message).toBe('page not found');
          continue;
        }
        expect(ans.status, `${c.name} ${enc}: ${ans.body}`).toBe(403);
        expect(JSON.parse(ans.body).message, `${c.name} ${enc}`).toContain(`denied by policy rule ${rule}:`);
      }
      expect(await containerIds(daemon.socket)).toEqual(before.ids);
      expect(await execIds(daemon.socket, target)).toEqual(before.execs);
    },
    60_000,
  );
});

describe(`allow corpus: ${ALLOW.length} everyday requests pass as without the policy`, () => {
  it.each(ALLOW.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const run = async (socket: string, who: string) => {
        const id = c.needs ? await container(daemon.socket, c.needs) : '';
        const path = c.path.replace('{id}', id).replaceAll('{name}', `pol-${c.name}-${who}`);
        const body =
          c.body === undefined
            ? undefined
            : JSON.parse(JSON.stringify(c.body).replaceAll('{name}', `pol-${c.name}-${who}`));
        return exchange(socket, rawRequest({ ...c, body }, path, 'v1.41'));
      };
      const viaPolicy = await run(front.socket, 'chain');
      const direct = await run(daemon.socket, 'direct');
      expect(viaPolicy.status, viaPolicy.body.slice(0, 300)).toBe(direct.status);
      if (c.name !== 'pull') expect(viaPolicy.status, viaPolicy.body.slice(0, 300)).toBeLessThan(400);
    },
    60_000,
  );

  it('a created container is the same as one created directly', async () => {
    const c = ALLOW.find((x) => x.name === 'create-everyday')!;
    const made = async (socket: string, name: string) => {
      const body = JSON.parse(JSON.stringify(c.body).replaceAll('{name}', name));
      const r = await api(socket, 'POST', `/containers/create?name=${name}`, body);
      const i = (await api(daemon.socket, 'GET', `/containers/${(r.body as { Id: string }).Id}/json`))
        .body as {
        Config: unknown;
        HostConfig: unknown;
      };
      return JSON.stringify({ c: { ...(i.Config as object), Hostname: '' }, h: i.HostConfig }).replaceAll(
        name,
        'NAME',
      );
    };
    expect(await made(front.socket, 'pol-same-a')).toBe(await made(daemon.socket, 'pol-same-b'));
  }, 60_000);
});
