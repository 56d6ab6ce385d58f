/**
 * Issue 10 item 10: link tokens from a file or the environment (arguments show in `ps`), never in a
 * log line, an error or a `docker info`; short tokens refused; failed attempts rate-limited per address.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { parseLinkArgs, TOKEN_ENV } from '../../src/backends/link/address.js';
import { AuthFailures, peerHost } from '../../src/backends/link/auth-failures.js';
import { type ListenInstance, listenStage } from '../../src/backends/listen.js';
import { type RemoteInstance, remoteStage } from '../../src/backends/remote.js';
import { REDACTED, redactArgs, redactSecrets } from '../../src/backends/secrets.js';
import { SimulatedClock } from '../../src/clock.js';
import { ask, ctx, echoDownstream, tempDir } from '../link/support.js';

const dir = tempDir();
const TOKEN = 'the-token-is-long-enough-0123456789';
const ALL = new Set(['token', 'token-file', 'insecure', 'allow-control']);
const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

describe('where the token comes from', () => {
  it('--token-file reads the file (one trailing newline is not part of it)', () => {
    const f = join(dir, 'token');
    writeFileSync(f, `${TOKEN}\n`, { mode: 0o600 });
    const { flags } = parseLinkArgs('listen', ['unix:///x', '--token-file', f], ALL, {});
    expect(flags.token).toBe(TOKEN);
    expect(flags.tokenSource).toBe(`--token-file ${f}`);
  });

  it(`$${TOKEN_ENV} when no flag gives one; a flag wins over it`, () => {
    expect(parseLinkArgs('remote', ['unix:///x'], ALL, { [TOKEN_ENV]: TOKEN }).flags).toMatchObject({
      token: TOKEN,
      tokenSource: `$${TOKEN_ENV}`,
    });
    const other = 'x'.repeat(20);
    expect(
      parseLinkArgs('remote', ['unix:///x', '--token', other], ALL, { [TOKEN_ENV]: TOKEN }).flags.token,
    ).toBe(other);
  });

  it('a missing or empty file, or both flags, is a usage error that never prints a token', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => parseLinkArgs('listen', ['unix:///x', '--token-file', join(dir, 'nope')], ALL, {})).toThrow(
      /--token-file .*nope: ENOENT/,
    );
    expect(() => parseLinkArgs('listen', ['unix:///x', '--token-file', empty], ALL, {})).toThrow(/is empty/);
    const both = () =>
      parseLinkArgs('listen', ['unix:///x', '--token', TOKEN, '--token-file', empty], ALL, {});
    expect(both).toThrow(/--token or --token-file, not both/);
    try {
      both();
    } catch (err) {
      expect((err as Error).message).not.toContain(TOKEN);
    }
  });

  it('a token may contain "=" in --token=VALUE form', () => {
    const t = 'abc=def=ghi=jkl=mnop';
    expect(parseLinkArgs('remote', ['unix:///x', `--token=${t}`], ALL, {}).flags.token).toBe(t);
  });

  it('refuses tokens shorter than 16 bytes unless --insecure, without echoing them', () => {
    const short = 'hunter2';
    let message = '';
    try {
      parseLinkArgs('listen', ['unix:///x', '--token', short], ALL, {});
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/the token \(--token\) is 7 bytes; use at least 16.*--insecure/);
    expect(message).not.toContain(short);
    expect(parseLinkArgs('listen', ['unix:///x', '--token', short, '--insecure'], ALL, {}).flags.token).toBe(
      short,
    );
  });
});

describe('redaction', () => {
  it('hides --token values and URL passwords in commands and argument lists', () => {
    expect(redactSecrets(`remote ws://h:1 --token ${TOKEN} --deadline 5`)).toBe(
      `remote ws://h:1 --token ${REDACTED} --deadline 5`,
    );
    expect(redactSecrets(`remote ws://h:1 --token="${TOKEN}"`)).toBe(`remote ws://h:1 --token=${REDACTED}`);
    expect(redactSecrets('dockerclient tcp://admin:pw@10.0.0.1:2375')).toBe(
      `dockerclient tcp://${REDACTED}@10.0.0.1:2375`,
    );
    expect(redactSecrets('remote x --token-file /etc/swarmd/token')).toBe(
      'remote x --token-file /etc/swarmd/token',
    );
    expect(redactArgs(['remote', 'x', '--token', TOKEN])).toEqual(['remote', 'x', '--token', REDACTED]);
  });

  it('property: no token survives redaction, wherever the flag sits in a command', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9_=+/.-]{16,40}$/);
    const word = fc.stringMatching(/^[a-z:/.0-9-]{1,12}$/);
    fc.assert(
      fc.property(
        token,
        fc.array(word, { maxLength: 4 }),
        fc.array(word, { maxLength: 4 }),
        fc.boolean(),
        (t, a, b, inline) => {
          const cmd = [...a, inline ? `--token=${t}` : `--token ${t}`, ...b].join(' ');
          expect(redactSecrets(cmd)).not.toContain(t);
          expect(redactArgs([...a, '--token', t, ...b])).not.toContain(t);
        },
      ),
    );
  });

  it('docker info through an aggregate shows a remote child without its token', async () => {
    const { Chain } = await import('../../src/backends/chain.js');
    const { quietLog, recorder } = await import('../services/support.js');
    const chain = new Chain({ log: quietLog });
    await chain.start([
      `aggregate "n1=simulator n1" "far=remote unix://${join(dir, 'none.sock')} --token ${TOKEN}"`,
    ]);
    stops.push(() => chain.stop());
    const r = recorder();
    void chain.head?.send({ verb: 'get', args: { op: 'info', query: {} }, ret: r });
    const text = JSON.stringify(await r.done);
    expect(text).toContain(`--token ${REDACTED}`);
    expect(text).not.toContain(TOKEN);
  });
});

describe('failed token attempts are rate-limited per address', () => {
  it('counts per host over a window, bounded in size', () => {
    const clock = new SimulatedClock();
    const f = new AuthFailures(clock, { maxFailures: 3, windowMs: 1000, maxAddresses: 2 });
    expect([f.fail('a'), f.fail('a'), f.fail('a')]).toEqual([false, false, true]);
    expect(f.blocked('a')).toBe(true);
    expect(f.blocked('b')).toBe(false);
    expect(f.retryAfterMs('a')).toBe(1000);
    clock.advance(1000);
    expect(f.blocked('a')).toBe(false);
    f.fail('x');
    f.fail('y');
    f.fail('z'); // the table holds 2: the oldest (x) went
    expect([peerHost('10.0.0.1:5555'), peerHost('[::1]:9'), peerHost('/run/s.sock')]).toEqual([
      '10.0.0.1',
      '::1',
      '/run/s.sock',
    ]);
  });

  it('after 5 wrong tokens, even the right token is refused from that address until the window ends', async () => {
    const clock = new SimulatedClock();
    const sock = join(dir, 'rl.sock');
    const l = (await listenStage.create(
      [`unix://${sock}`, '--token', TOKEN],
      ctx('listen#1', echoDownstream(), clock),
    )) as ListenInstance;
    await l.start?.();
    stops.push(() => l.stop?.());
    const link = async (token: string) => {
      const r = (await remoteStage.create(
        [`unix://${sock}`, '--token', token],
        ctx('remote#2'),
      )) as RemoteInstance;
      stops.push(() => r.stop?.());
      await r.start?.();
      return r;
    };
    for (let i = 0; i < 5; i++) expect((await link(`wrong-token-number-${i}`)).linkState).toBe('down');
    expect((await link(TOKEN)).linkState).toBe('down');
    clock.advance(60_000);
    const good = await link(TOKEN);
    expect(good.linkState).toBe('up');
    expect((await ask(good.handle, 'ls'))[0]).toMatchObject({ verb: 'set' });
  });
});
