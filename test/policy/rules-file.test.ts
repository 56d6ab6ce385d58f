/**
 * `--rules FILE` (validated with file:line:col), `--dry-run` (forwards and logs what it would deny),
 * and the stage's 403 reply, with a fake next stage.
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { decide } from '../../src/backends/policy/decide.js';
import { applyRules, parseRulesFile } from '../../src/backends/policy/rules-file.js';
import { policyStage } from '../../src/backends/policy.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { systemClock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

const FILE = `profile: restricted
rules:
  capabilities: false
binds:
  allow: [/srv/data]
deny:
  - name: pinned-images
    ops: [container.create]
    field: Image
    pattern: ':latest$'
    message: pin image versions
  - name: no-sigkill
    ops: ['container.kill']
    query: { signal: '^(9|KILL|SIGKILL)$' }
`;

const create = (hc: object, image = 'busybox:1') => ({
  op: 'container.create',
  query: {},
  body: { Image: image, HostConfig: hc },
});

describe('rules file', () => {
  const config = applyRules(parseRulesFile(FILE, 'r.yaml'), undefined);
  it('turns rules off, sets the bind allow-list and adds deny rules', () => {
    expect(decide(create({ CapAdd: ['SYS_ADMIN'] }), config).allow).toBe(true);
    expect(decide(create({ Binds: ['/srv/data/x:/x'] }), config).allow).toBe(true);
    expect(decide(create({ Binds: ['/srv/data/../../etc:/x'] }), config)).toMatchObject({
      rule: 'host-bind',
    });
    expect(decide(create({}, 'busybox:latest'), config)).toMatchObject({
      rule: 'pinned-images',
      what: 'Image is "busybox:latest": pin image versions',
    });
    expect(decide({ op: 'container.kill', id: 'x', query: { signal: 'KILL' } }, config)).toMatchObject({
      rule: 'no-sigkill',
    });
    expect(decide({ op: 'container.kill', id: 'x', query: { signal: 'HUP' } }, config).allow).toBe(true);
  });
  it('names file, line, column and key of every mistake', () => {
    const bad: [string, RegExp][] = [
      [
        'profile: strict\n',
        /r\.yaml:1:10: profile: unknown profile strict; use one of readonly, restricted, ci/,
      ],
      ['rules:\n  privileged: maybe\n', /r\.yaml:2:15: rules\.privileged: expected true or false/],
      ['rules:\n  privilegd: false\n', /r\.yaml:2:3: rules\.privilegd: unknown rule/],
      [
        'deny:\n  - name: x\n    ops: [container.crate]\n',
        /r\.yaml:3:11: deny\[0\]\.ops\[0\]: unknown op container\.crate/,
      ],
      [
        'deny:\n  - name: x\n    field: Nope\n    pattern: a\n',
        /deny\[0\]\.field: no body of any op has the field Nope/,
      ],
      [
        'deny:\n  - name: x\n    field: Image\n    pattern: "a(("\n',
        /r\.yaml:4:14: deny\[0\]\.pattern: error parsing regexp/,
      ],
      ['binds:\n  allow: [relative]\n', /binds\.allow\[0\]: relative is not an absolute path/],
      ['colour: blue\n', /r\.yaml:1:1: colour: unknown key/],
      ['rules: [\n', /r\.yaml:\d+:\d+: not valid YAML/],
    ];
    for (const [text, message] of bad) expect(() => parseRulesFile(text, 'r.yaml'), text).toThrow(message);
  });
  it('is read by the stage at start; a bad one is a usage error', () => {
    const dir = mkdtempSync('/tmp/swp-rules-');
    writeFileSync(join(dir, 'bad.yaml'), 'profile: nope\n');
    const ctx = {
      name: 'policy#1',
      downstream: undefined,
      log: pino({ level: 'silent' }),
      clock: systemClock,
    };
    expect(() => policyStage.create(['--rules', join(dir, 'bad.yaml')], ctx)).toThrow(
      /bad\.yaml:1:10: profile: unknown profile nope/,
    );
    expect(() => policyStage.create(['--profile', 'lax'], ctx)).toThrow(/unknown profile lax/);
    expect(() => policyStage.create(['--identity', 'CI Runner'], ctx)).toThrow(
      /--identity "CI Runner": use letters, digits and \. _ @ -/,
    );
    // --own alone is fine: each request's identity comes from the front door (identity.test.ts)
    const own = policyStage.create(['--own'], ctx) as StageInstance;
    expect(own.describe?.()).toContain('own containers only');
  });
});

/** A next stage that records what reached it and answers 201. */
function recorder(): Sender<Message> & { got: Message[] } {
  const got: Message[] = [];
  return {
    [kSender]: true,
    closed: false,
    got,
    close() {},
    send(m: Message) {
      got.push(m);
      void m.ret?.send({ verb: 'set', args: { status: 201, body: {} } });
      m.ret?.close();
      return undefined;
    },
  };
}

async function ask(stage: StageInstance, args: unknown): Promise<Message> {
  return new Promise((resolve) => {
    const ret: Sender<Message> = {
      [kSender]: true,
      closed: false,
      close() {},
      send: (m: Message) => void resolve(m),
    };
    void stage.handle({ verb: 'spawn', args, ret });
  });
}

describe('the stage', () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) });
  it('answers a denied request with 403 naming the rule and never forwards it', async () => {
    const next = recorder();
    const stage = await policyStage.create([], {
      name: 'policy#2',
      downstream: next,
      log,
      clock: systemClock,
    });
    const reply = await ask(stage, create({ Privileged: true }));
    expect(reply).toMatchObject({
      verb: 'error',
      args: {
        status: 403,
        code: 'SWARM_ERR_POLICY_DENIED',
        message:
          'container.create denied by policy rule privileged: HostConfig.Privileged is true (profile restricted)',
      },
    });
    expect(next.got).toHaveLength(0);
    const ok = await ask(stage, create({ NetworkMode: 'none' }));
    expect(ok.verb).toBe('set');
    expect(next.got).toHaveLength(1);
  });
  it('--dry-run forwards and logs what it would deny', async () => {
    const next = recorder();
    const stage = await policyStage.create(['--dry-run'], {
      name: 'policy#3',
      downstream: next,
      log,
      clock: systemClock,
    });
    expect((await ask(stage, create({ PidMode: 'host' }))).verb).toBe('set');
    expect(next.got).toHaveLength(1);
    expect(lines.join('')).toContain(
      'dry run: would deny container.create denied by policy rule host-namespace: HostConfig.PidMode is host',
    );
  });
});
