/**
 * The policy reads a body as dockerd does. Go's own encoding/json (test/policy/go-oracle.go, Go 1.19
 * like dockerd 20.10) is the oracle: for generated create bodies with random key case (also U+017F
 * and U+212A, which Go folds onto s and k), duplicate and case-variant members, null, wrong types and
 * \u escapes, the policy's verdict on the raw bytes equals its verdict on what Go decoded (re-encoded
 * with exact names and no duplicates); the same for a body that went through JSON.parse first, as
 * dockerserver hands it on, against Go decoding the JSON.stringify a dockerclient sends.
 * @module
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, profileConfig, type Verdict } from '../../src/backends/policy/decide.js';
import { goFold, parseGoJson } from '../../src/backends/policy/go-json.js';
import { GoOracle } from './oracle.js';

type Member = [string, unknown];
const MEMBERS = Symbol('members');
interface Obj {
  [MEMBERS]: Member[];
}
const obj = (m: Member[]): Obj => ({ [MEMBERS]: m });

const VALUES: Record<string, unknown[]> = {
  Privileged: [true, false, null, 'yes'],
  NetworkMode: ['host', 'none', 'bridge', null],
  PidMode: ['host', ''],
  UsernsMode: ['host'],
  CapAdd: ['SYS_ADMIN', ['CHOWN'], ['NET_ADMIN'], null, ['chown', 'cap_sys_admin']],
  Binds: [['/:/host'], ['data:/data'], ['/tmp/../:/x'], null, [], ['/var/run/docker.sock:/s']],
  SecurityOpt: [['seccomp=unconfined'], ['no-new-privileges'], null],
  Mounts: [
    [
      obj([
        ['Type', 'bind'],
        ['Source', '/'],
        ['Target', '/h'],
      ]),
    ],
    [
      obj([
        ['Type', 'volume'],
        ['Source', 'v'],
        ['Target', '/v'],
      ]),
    ],
    [
      obj([
        ['Type', 'volume'],
        ['Source', 'v'],
        ['Target', '/v'],
      ]),
    ],
    [
      obj([
        ['Type', 'volume'],
        ['Source', 'v'],
        ['Target', '/v'],
        ['VolumeOptions', obj([['DriverConfig', obj([['Options', obj([['device', '/']])]])]])],
      ]),
    ],
    [obj([['Target', '/x']])],
    [null],
    [],
    null,
  ],
  Devices: [
    [
      obj([
        ['PathOnHost', '/dev/sda'],
        ['PathInContainer', '/dev/sda'],
      ]),
    ],
    [],
    null,
  ],
  MaskedPaths: [[], null],
  Image: ['busybox:local'],
  Labels: [obj([['a', 'b']]), null],
};
const FIELDS = Object.keys(VALUES);

/** A member: a field with one of its values, or (at the top) a nested HostConfig. */
const member = (depth: number): fc.Arbitrary<Member> =>
  depth === 0
    ? fc.oneof(
        { weight: 6, arbitrary: member(1) },
        {
          weight: 2,
          arbitrary: fc.oneof(
            fc.array(member(1), { maxLength: 5 }).map((m): Member => ['HostConfig', obj(m)]),
            fc.constant<Member>(['HostConfig', null]),
          ),
        },
      )
    : fc.constantFrom(...FIELDS).chain((f) => fc.constantFrom(...VALUES[f]!).map((v): Member => [f, v]));

/** Per-character spelling choices: case, \u escape, the two Unicode folds. */
const spelling = fc.array(fc.nat(9), { minLength: 24, maxLength: 24 });

function spell(s: string, choice: number[]): string {
  let out = '';
  [...s].forEach((ch, i) => {
    const c = choice[i % choice.length]!;
    let x = ch;
    if (c <= 2) x = ch === ch.toLowerCase() ? ch.toUpperCase() : ch.toLowerCase();
    if (c === 3 && (ch === 's' || ch === 'S')) x = '\u017f';
    if (c === 4 && (ch === 'k' || ch === 'K')) x = '\u212a';
    out +=
      c === 5 || c === 6
        ? `\\u${x.charCodeAt(0).toString(16).padStart(4, '0')}`
        : JSON.stringify(x).slice(1, -1);
  });
  return `"${out}"`;
}

function render(v: unknown, choice: number[], keys: boolean): string {
  if (v && typeof v === 'object' && MEMBERS in v) {
    const ms = (v as Obj)[MEMBERS];
    return `{${ms.map(([k, x]) => `${keys ? spell(k, choice) : JSON.stringify(k)}:${render(x, choice.slice(1).concat(choice[0]!), keys)}`).join(',')}}`;
  }
  if (Array.isArray(v)) return `[${v.map((x) => render(x, choice, keys)).join(',')}]`;
  // String values keep their case (they are data) but may be escaped.
  if (typeof v === 'string' && keys)
    return spell(
      v,
      choice.map((c) => (c === 5 ? 5 : 9)),
    );
  return JSON.stringify(v);
}

const bodies = fc
  .record({ members: fc.array(member(0), { maxLength: 8 }), choice: spelling })
  .map(({ members, choice }) => render(obj([['Image', 'busybox:local'], ...members]), choice, true));

const config = profileConfig('restricted');
const short = (v: Verdict) => (v.allow ? 'allow' : `deny ${v.rule}`);

function expected(answer: Awaited<ReturnType<GoOracle['decode']>>): string {
  if ('err' in answer) return 'deny body';
  return short(decide({ op: 'container.create', query: {}, body: answer.ok }, config));
}

let oracle: GoOracle;
beforeAll(() => {
  oracle = GoOracle.start();
}, 300_000);
afterAll(() => oracle?.stop());

describe('policy body decoding equals Go encoding/json', () => {
  it('the verdict on raw bytes equals the verdict on what Go decoded', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (text) => {
        const bytes = Buffer.from(text);
        const mine = short(decide({ op: 'container.create', query: {}, body: bytes }, config));
        expect(mine, text).toBe(expected(await oracle.decode(bytes)));
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  it('after JSON.parse (dockerserver) the verdict equals Go decoding the JSON.stringify dockerclient sends', async () => {
    await fc.assert(
      fc.asyncProperty(bodies, async (text) => {
        const value = JSON.parse(text) as unknown;
        const mine = short(decide({ op: 'container.create', query: {}, body: value }, config));
        expect(mine, text).toBe(expected(await oracle.decode(Buffer.from(JSON.stringify(value)))));
      }),
      { numRuns: 400 },
    );
  }, 120_000);

  it('the traps of issue 14, each against Go', async () => {
    const traps = [
      '{"Image":"x","hostconfig":{"privileged":true}}',
      '{"Image":"x","HostConfig":{"Privileged":false,"privileged":true}}',
      '{"Image":"x","HostConfig":{"Privileged":true,"privileged":false,"Privileged":true}}',
      '{"Image":"x","HostConfig":{"Privileged":true},"HostConfig":{"Memory":1}}',
      '{"Image":"x","HostConfig":{"Privileged":true,"Privileged":null}}',
      '{"Image":"x","HostConfig":{"Netwo\\u0072kMode":"host"}}',
      '{"Image":"x","HostConfig":{"Networ\u212aMode":"host"}}',
      '{"Image":"x","HostConfig":{"\u017fecurityOpt":["seccomp=unconfined"]}}',
      '{"Image":"x","Privileged":true}',
      '{"Image":"x","HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}],"mounts":[{"Target":"/x"}]}}',
      '{"Image":"x","HostConfig":{"Mounts":[{"Type":"bind","Source":"/","Target":"/h"},{}],"Mounts":[],"Mounts":[null,null]}}',
      '{"Image":"x","HostConfig":{"CapAdd":"SYS_ADMIN"}}',
      // Go 1.19 decodes a later array into the elements an earlier one left (len <= i < cap).
      '{"Image":"x","HostConfig":{"Mounts":[{"Type":"volume","Source":"v","Target":"/v","VolumeOptions":{"DriverConfig":{"Options":{"device":"/"}}}}],"Mounts":[{"Type":"volume","Source":"v","Target":"/v"}]}}',
    ];
    for (const t of traps) {
      const bytes = Buffer.from(t);
      const mine = short(decide({ op: 'container.create', query: {}, body: bytes }, config));
      const go = expected(await oracle.decode(bytes));
      expect(mine, t).toBe(go);
      expect(mine, t).not.toBe('allow');
    }
  });
});

describe('go-json', () => {
  it('folds keys as Go does', () => {
    expect(goFold('networ\u212amode')).toBe(goFold('NetworkMode'));
    expect(goFold('\u017fecurityopt')).toBe(goFold('SecurityOpt'));
    expect(goFold('Privileged')).not.toBe(goFold('Privileged\u00e9'));
  });
  it('keeps every member in order and refuses what Go would not read', () => {
    expect(parseGoJson('{"a":1,"A":2,"a":3}')).toEqual({
      kind: 'object',
      members: [
        ['a', 1],
        ['A', 2],
        ['a', 3],
      ],
    });
    expect(() => parseGoJson('{"a":1} x')).toThrow(/after the JSON value/);
    expect(() => parseGoJson('{"a":1,}')).toThrow();
    expect(parseGoJson('"\\ud800"')).toBe('\ufffd');
  });
});
