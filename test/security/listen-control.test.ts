/**
 * Issue 10 item 1: a peer of a `listen` stage must not be able to make the aggregate behind it run a
 * program (the observed remote root shell: `control add 'exec sh -c "id > /tmp/x"'`) or open sockets.
 * Real stages end to end: remote → (unix session) → listen → aggregate → simulator children.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { checkRuntimeChild } from '../../src/backends/aggregate/args.js';
import { parseNodesFile } from '../../src/backends/aggregate/nodes-file.js';
import { Chain } from '../../src/backends/chain.js';
import { listenStage } from '../../src/backends/listen.js';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import { systemClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { ask, ctx, errText, quietLog, tempDir } from '../link/support.js';

const TOKEN = 'a-token-of-32-characters-exactly';
const dir = tempDir();
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** swarmd's chain `listen <url> <flags…>` → `aggregate "simulator n1"`, and a remote linked to it. */
async function linkedAggregate(listenArgs: string, remoteFlags: string[] = []) {
  const sock = join(dir, `l${cleanups.length}.sock`);
  const chain = new Chain({ log: quietLog, clock: systemClock });
  await chain.start([`listen unix://${sock} ${listenArgs}`, 'aggregate "n1=simulator n1"']);
  cleanups.push(() => chain.stop());
  const r = (await remoteStage.create([`unix://${sock}`, ...remoteFlags], ctx('remote#1'))) as RemoteInstance;
  cleanups.push(() => r.stop?.());
  await r.start?.();
  expect(r.linkState).toBe('up');
  const control = async (args: unknown): Promise<Message | undefined> =>
    (await ask(r.handle, 'control', args))[0];
  return { chain, control };
}

describe('control messages through listen', () => {
  it('a listen without --allow-control refuses control add exec: nothing runs, no node is added', async () => {
    const marker = join(dir, 'pwned');
    const { chain, control } = await linkedAggregate('');
    const reply = await control({ action: 'add', command: `exec sh -c "id > ${marker}"` });
    expect(reply).toMatchObject({ verb: 'error', args: { code: ErrorCode.Forbidden, status: 403 } });
    expect(errText(reply)).toMatch(/--allow-control/);
    // The listen refused it, so the aggregate never saw it: still one child, and no program ran.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker)).toBe(false);
    expect(chain.children.map((c) => c.name)).toEqual(['n1']);
    // list and remove are refused the same way (list could leak the nodes' commands).
    expect(await control({ action: 'list' })).toMatchObject({ args: { status: 403 } });
    expect(await control({ action: 'remove', name: 'n1' })).toMatchObject({ args: { status: 403 } });
  });

  it('--allow-control without a token or client CA is a usage error naming the fix', () => {
    expect(() => listenStage.create([`unix://${join(dir, 'x.sock')}`, '--allow-control'], ctx('l'))).toThrow(
      /--allow-control .*needs authenticated peers.*--token-file/,
    );
  });

  it('with --allow-control and a token, a peer adds a simulator but never exec, listen, dockerserver or aggregate', async () => {
    const marker = join(dir, 'pwned2');
    const { chain, control } = await linkedAggregate(`--allow-control --token ${TOKEN}`, ['--token', TOKEN]);
    const added = await control({ action: 'add', command: 'simulator n2', name: 'n2' });
    expect(added).toMatchObject({ verb: 'set', args: { status: 200 } });
    for (const command of [
      `exec sh -c "id > ${marker}"`,
      `listen tcp://127.0.0.1:0 --insecure`,
      `dockerserver unix://${join(dir, 'evil.sock')}`,
      `aggregate "exec sh -c 'id > ${marker}'"`,
      './evil-stage.mjs',
    ]) {
      const reply = await control({ action: 'add', command, name: 'evil' });
      expect(reply, command).toMatchObject({
        verb: 'error',
        args: { code: ErrorCode.Forbidden, status: 403 },
      });
      expect(errText(reply)).toMatch(/added at run time can be dockerclient, remote, simulator/);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(dir, 'evil.sock'))).toBe(false);
    expect(chain.children.map((c) => c.name).sort()).toEqual(['n1', 'n2']);
  });

  it('control list never returns a secret: a remote child token is redacted', async () => {
    const { control } = await linkedAggregate(`--allow-control --token ${TOKEN}`, ['--token', TOKEN]);
    const secret = 'another-secret-token-0123456789';
    await control({
      action: 'add',
      command: `remote unix://${join(dir, 'nowhere.sock')} --token ${secret}`,
      name: 'far',
    });
    const list = await control({ action: 'list' });
    const text = JSON.stringify(list);
    expect(text).toContain('--token [redacted]');
    expect(text).not.toContain(secret);
  });
});

describe('nodes added from a nodes file', () => {
  it('refuses a file naming a stage that runs programs or opens listeners, naming the line', () => {
    expect(() => parseNodesFile('simulator a\nexec sh -c "id"\n')).toThrow(/line 2: .*not "exec"/);
    expect(() => parseNodesFile('listen tcp://0.0.0.0:9 --insecure')).toThrow(/line 1: .*not "listen"/);
    expect(
      parseNodesFile('dockerclient unix:///run/d.sock\nremote ws://127.0.0.1:9\nsimulator s'),
    ).toHaveLength(3);
  });

  it('an aggregate started with such a file keeps its command-line nodes and adds none', async () => {
    const file = join(dir, 'nodes.txt');
    const marker = join(dir, 'pwned3');
    writeFileSync(file, `simulator a\nexec sh -c "id > ${marker}"\n`);
    cleanups.push(() => rmSync(file, { force: true }));
    const chain = new Chain({ log: quietLog, clock: systemClock });
    await expect(
      chain.start([`aggregate "n1=simulator n1" --nodes-file ${file}`]).finally(() => chain.stop()),
    ).rejects.toThrow(/not "exec"/);
    expect(existsSync(marker)).toBe(false);
  });

  it('checkRuntimeChild names the allowed stages', () => {
    expect(() => checkRuntimeChild('exec x', 'control add')).toThrow(
      /control add: a node added at run time can be dockerclient, remote, simulator, not "exec"/,
    );
    expect(() => checkRuntimeChild('simulator x', 'control add')).not.toThrow();
    expect(() => checkRuntimeChild('dockerclient unix:///run/d.sock', 'control add')).not.toThrow();
    expect(() => checkRuntimeChild('dockerclient ssh://root@10.0.0.9', 'nodes file line 2')).toThrow(
      /nodes file line 2: a node added at run time cannot be dockerclient ssh:/,
    );
  });
});
