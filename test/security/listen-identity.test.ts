/**
 * The client identity a front door puts on a request (`args.identity`, read by `policy --own`) must
 * not be claimable by whoever can reach an open `listen`: an unproven peer's claim is removed before
 * the next stage sees the message; a peer that proved itself (token) is trusted to carry one.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ListenInstance, listenStage } from '../../src/backends/listen.js';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import { ask, ctx, echoDownstream, tempDir } from '../link/support.js';

const TOKEN = 'a-token-of-32-characters-exactly';
const dir = tempDir();
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** `listen unix://… <flags>` in front of a recording downstream, and a remote linked to it. */
async function linked(listenFlags: string[], remoteFlags: string[]) {
  const sock = join(dir, `l${stops.length}.sock`);
  const seen = echoDownstream();
  const l = (await listenStage.create(
    [`unix://${sock}`, ...listenFlags],
    ctx('listen#1', seen),
  )) as ListenInstance;
  stops.push(() => l.stop?.());
  await l.start?.();
  const r = (await remoteStage.create([`unix://${sock}`, ...remoteFlags], ctx('remote#1'))) as RemoteInstance;
  stops.push(() => r.stop?.());
  await r.start?.();
  return { seen, remote: r, listen: l };
}

const sent = { op: 'container.list', query: {}, identity: 'alice' };

describe('listen and a claimed client identity', () => {
  it('an unauthenticated peer cannot name the client: the claim is removed, the rest passes', async () => {
    const { seen, remote } = await linked([], []);
    await ask(remote.handle, 'ls', sent);
    expect(seen.seen.map((m) => m.args)).toEqual([{ op: 'container.list', query: {} }]);
  });

  it('a peer that proved itself with the token carries the identity through', async () => {
    const { seen, remote } = await linked(['--token', TOKEN], ['--token', TOKEN]);
    await ask(remote.handle, 'ls', sent);
    expect(seen.seen.map((m) => m.args)).toEqual([sent]);
  });

  it('an earlier stage in the same process is trusted', async () => {
    const { seen, listen } = await linked([], []);
    await ask(listen.handle, 'ls', sent);
    expect(seen.seen.map((m) => m.args)).toEqual([sent]);
  });
});
