import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthzPlugin, startAuthzPlugin } from '../../src/cli/authz-plugin.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import { BODY_ENCODINGS, ENCODINGS, type Encoding, exchange, loadCorpus, rawRequest } from './encodings.js';
import { api, container, containerIds, execIds, volumeNames } from './support.js';

const DENY = loadCorpus('deny.json').filter((c) => c.modes?.includes('authz'));
const ALLOW = loadCorpus('allow.json');
/** Encodings whose body dockerd 20.10 does not show a plugin: refused as unreadable instead. */
const HIDDEN: Encoding[] = ['chunked', 'padded-1MiB', 'content-length-0'];

const NAME = `swarmd-policy-test-${process.pid}`;
let plugin: AuthzPlugin;
let daemon: Daemon;
let target: string;

beforeAll(async () => {
  plugin = await startAuthzPlugin(['--name', NAME], pino({ level: 'silent' }));
  [daemon] = (await startDaemons(1, { extraArgs: [`--authorization-plugin=${NAME}`] })) as [Daemon];
  target = await container(daemon.socket, 'running');
}, 180_000);
afterAll(async () => {
  if (daemon) await stopDaemons([daemon]);
  await plugin?.close();
});

async function state() {
  const info = (await api(daemon.socket, 'GET', '/info')).body as { Swarm: { LocalNodeState: string } };
  const plugins = (await api(daemon.socket, 'GET', '/plugins')).body as unknown[];
  return {
    ids: await containerIds(daemon.socket),
    execs: await execIds(daemon.socket, target),
    volumes: await volumeNames(daemon.socket),
    swarm: info.Swarm.LocalNodeState,
    plugins: plugins.length,
  };
}

describe(`AuthZ plugin: deny corpus, ${DENY.length} shapes × up to ${ENCODINGS.length} encodings`, () => {
  it.each(DENY.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const path = c.path.replace('{id}', target);
      const encodings = ENCODINGS.filter(
        (e) => (c.body !== undefined && c.body !== null) || !BODY_ENCODINGS.includes(e),
      );
      const before = await state();
      for (const enc of encodings) {
        const ans = await exchange(daemon.socket, rawRequest(c, path, enc));
        expect(ans.status, `${c.name} ${enc}: ${ans.body}`).toBe(403);
        const message = JSON.parse(ans.body).message as string;
        expect(message, `${c.name} ${enc}`).toContain(`authorization denied by plugin ${NAME}: `);
        const rules = HIDDEN.includes(enc) ? [c.rule, 'body'] : [c.rule];
        expect(
          rules.some((r) => message.includes(`denied by policy rule ${r}:`)),
          `${c.name} ${enc}: ${message}`,
        ).toBe(true);
      }
      expect(await state()).toEqual(before);
    },
    60_000,
  );
});

describe(`AuthZ plugin: allow corpus, ${ALLOW.length} everyday requests pass`, () => {
  it.each(ALLOW.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const id = c.needs ? await container(daemon.socket, c.needs) : '';
      const path = c.path.replace('{id}', id).replaceAll('{name}', `pol-${c.name}`);
      const body =
        c.body === undefined
          ? undefined
          : JSON.parse(JSON.stringify(c.body).replaceAll('{name}', `pol-${c.name}`));
      const ans = await exchange(daemon.socket, rawRequest({ ...c, body }, path, 'v1.41'));
      if (c.name === 'pull') expect(ans.body).not.toContain('authorization denied');
      else expect(ans.status, ans.body.slice(0, 300)).toBeLessThan(400);
    },
    60_000,
  );
});
