/**
 * `--rules FILE`: a YAML file that picks a base profile, turns built-in rules on or off, sets the
 * allowed bind paths and capabilities, and adds `deny` rules of its own. Validated when the stage is
 * built; every problem is reported as `FILE:LINE:COL: <key path>: <what is wrong>; <the fix>`.
 *
 * ```yaml
 * profile: restricted          # base profile (--profile overrides it)
 * rules: { capabilities: false, read-only: true }
 * binds: { allow: [/srv/data] }  # replaces the profile's list
 * capabilities: { allow: [NET_ADMIN] }   # on top of Docker's defaults
 * securityOpts: { allow: ["seccomp=/etc/docker/strict.json"] }
 * deny:
 *   - name: pinned-images
 *     ops: [container.create]
 *     field: Image
 *     pattern: ':latest$|^[^:]*$'
 *     message: pin image versions
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ErrorCode, SwarmError } from '../../errors.js';
import { compileGlob, compileRegex, InvalidPatternError, type Pattern } from '../patterns.js';
import {
  BODY_TYPES,
  type CustomRule,
  type PolicyConfig,
  PROFILES,
  type ProfileName,
  profileConfig,
} from './decide.js';
import type { GoType } from './go-decode.js';
import { cleanHostPath } from './host-paths.js';
import { KNOWN_OPS } from './routes.js';
import { RULE_NAMES } from './rules.js';

/** What a rules file sets; {@link applyRules} lays it over a profile. */
export interface RulesFile {
  profile?: ProfileName;
  rules: Record<string, boolean>;
  bindAllow?: string[];
  capAllow: string[];
  securityOptAllow: string[];
  deny: CustomRule[];
}

const TOP_KEYS = ['profile', 'rules', 'binds', 'capabilities', 'securityOpts', 'deny'];
const DENY_KEYS = ['name', 'ops', 'query', 'field', 'pattern', 'message'];

/** Field paths a `deny` rule may name: the modelled fields of the ops' bodies. */
function fieldExists(type: GoType, path: readonly string[]): boolean {
  let t: GoType = type;
  for (const p of path) {
    if (t.t === 'map') t = t.of;
    else if (t.t === 'struct' && Object.hasOwn(t.fields, p)) t = t.fields[p]!;
    else return false;
  }
  return true;
}

/** Parses and validates a rules file's text. Throws SWARM_ERR_INVALID_ARGUMENT naming file, line and key. */
export function parseRulesFile(text: string, file: string): RulesFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (node: Node | null | undefined, path: string, what: string): never => {
    const at = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    throw new SwarmError(ErrorCode.InvalidArgument, `policy: ${file}:${at.line}:${at.col}: ${path}: ${what}`);
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0] ?? { line: 1, col: 1 };
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: ${file}:${at.line}:${at.col}: not valid YAML: ${e.message.split('\n')[0]}`,
    );
  }
  const root = doc.contents;
  const out: RulesFile = { rules: {}, capAllow: [], securityOptAllow: [], deny: [] };
  if (root === null || (isScalar(root) && root.value === null)) return out;
  if (!isMap(root)) return fail(root, '(top)', `expected a mapping with keys ${TOP_KEYS.join(', ')}`);
  const str = (n: unknown, path: string): string => {
    if (isScalar(n) && typeof n.value === 'string' && n.value !== '') return n.value;
    return fail(n as Node, path, 'expected a non-empty string');
  };
  const strList = (n: unknown, path: string): string[] => {
    if (!isSeq(n)) return fail(n as Node, path, 'expected a list of strings');
    return n.items.map((x, i) => str(x, `${path}[${i}]`));
  };
  const pattern = (n: unknown, path: string, glob = false): Pattern => {
    const source = str(n, path);
    try {
      return glob ? compileGlob(source) : compileRegex(source);
    } catch (err) {
      if (err instanceof InvalidPatternError) return fail(n as Node, path, err.message);
      throw err;
    }
  };
  const allowList = (n: unknown, path: string): string[] => {
    if (!isMap(n)) return fail(n as Node, path, 'expected a mapping with the key allow');
    for (const p of n.items)
      if (str(p.key, path) !== 'allow')
        fail(
          p.key as Node,
          `${path}.${String((p.key as { value: unknown }).value)}`,
          'unknown key; the only key is allow',
        );
    return strList(n.get('allow', true), `${path}.allow`);
  };
  for (const pair of root.items) {
    const key = str(pair.key, '(top)');
    const v = pair.value;
    if (key === 'profile') {
      const p = str(v, 'profile');
      if (!(PROFILES as readonly string[]).includes(p))
        fail(v as Node, 'profile', `unknown profile ${p}; use one of ${PROFILES.join(', ')}`);
      out.profile = p as ProfileName;
    } else if (key === 'rules') {
      if (!isMap(v)) return fail(v as Node, 'rules', 'expected a mapping of rule name to true or false');
      for (const r of v.items) {
        const name = str(r.key, 'rules');
        if (!RULE_NAMES.includes(name))
          fail(
            r.key as Node,
            `rules.${name}`,
            `unknown rule; the built-in rules are ${RULE_NAMES.join(', ')}`,
          );
        if (!isScalar(r.value) || typeof r.value.value !== 'boolean')
          fail(r.value as Node, `rules.${name}`, 'expected true or false');
        out.rules[name] = (r.value as { value: boolean }).value;
      }
    } else if (key === 'binds') {
      out.bindAllow = allowList(v, 'binds').map((p, i) => {
        if (!p.startsWith('/'))
          fail(
            (v as { get(k: string, keep: true): Node }).get('allow', true),
            `binds.allow[${i}]`,
            `${p} is not an absolute path`,
          );
        return cleanHostPath(p);
      });
    } else if (key === 'capabilities') {
      out.capAllow = allowList(v, 'capabilities').map((c) => c.toUpperCase().replace(/^CAP_/, ''));
    } else if (key === 'securityOpts') {
      out.securityOptAllow = allowList(v, 'securityOpts');
    } else if (key === 'deny') {
      if (!isSeq(v)) return fail(v as Node, 'deny', 'expected a list of rules');
      for (const [i, item] of v.items.entries()) {
        const at = `deny[${i}]`;
        if (!isMap(item))
          return fail(item as Node, at, `expected a mapping with keys ${DENY_KEYS.join(', ')}`);
        for (const p of item.items) {
          const k = str(p.key, at);
          if (!DENY_KEYS.includes(k))
            fail(p.key as Node, `${at}.${k}`, `unknown key; a deny rule has ${DENY_KEYS.join(', ')}`);
        }
        const name = str(item.get('name', true), `${at}.name`);
        if (RULE_NAMES.includes(name) || name === 'body')
          fail(
            item.get('name', true) as Node,
            `${at}.name`,
            `${name} is a built-in rule; turn it on or off under rules:`,
          );
        const opsNode = item.get('ops', true) as unknown as Node | undefined;
        const opItems = isSeq(opsNode) ? (opsNode.items as Node[]) : [];
        const opNames = opsNode === undefined ? [] : strList(opsNode, `${at}.ops`);
        opNames.forEach((o, j) => {
          if (!o.includes('*') && !KNOWN_OPS.has(o))
            fail(opItems[j], `${at}.ops[${j}]`, `unknown op ${o}; ops look like container.create, image.*`);
        });
        const rule: CustomRule = {
          name,
          ops: opNames.map((_o, j) => pattern(opItems[j], `${at}.ops[${j}]`, true)),
          query: [],
        };
        const q = item.get('query', true);
        if (q !== undefined) {
          if (!isMap(q))
            return fail(q as Node, `${at}.query`, 'expected a mapping of parameter name to pattern');
          for (const p of q.items) {
            const k = str(p.key, `${at}.query`);
            rule.query.push([k, pattern(p.value, `${at}.query.${k}`)]);
          }
        }
        const field = item.get('field', true);
        const pat = item.get('pattern', true);
        if ((field === undefined) !== (pat === undefined))
          fail(item, at, 'field and pattern go together: the rule denies when the field matches the pattern');
        if (field !== undefined) {
          const path = str(field, `${at}.field`).split('.');
          const types = opNames.length
            ? opNames.map((o) => BODY_TYPES[o]).filter((t) => t !== undefined)
            : Object.values(BODY_TYPES);
          if (!types.some((t) => fieldExists(t, path)))
            fail(
              field as Node,
              `${at}.field`,
              `no body of ${opNames.join(', ') || 'any op'} has the field ${path.join('.')} the policy reads (fields are as in the Engine API: Image, User, Labels.<key>, HostConfig.NetworkMode…)`,
            );
          rule.field = { path, pattern: pattern(pat, `${at}.pattern`) };
        }
        const message = item.get('message', true);
        if (message !== undefined) rule.message = str(message, `${at}.message`);
        out.deny.push(rule);
      }
    } else {
      fail(pair.key as Node, key, `unknown key; a rules file has ${TOP_KEYS.join(', ')}`);
    }
  }
  return out;
}

/** Reads and validates `file`. */
export function loadRulesFile(file: string): RulesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: cannot read the rules file ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseRulesFile(text, file);
}

/** A profile with a rules file laid over it. `profile` (from --profile) wins over the file's. */
export function applyRules(file: RulesFile | undefined, profile: ProfileName | undefined): PolicyConfig {
  const base = profileConfig(profile ?? file?.profile ?? 'restricted');
  if (!file) return base;
  const rules = new Set(base.rules);
  for (const [name, on] of Object.entries(file.rules)) {
    if (on) rules.add(name);
    else rules.delete(name);
  }
  return {
    ...base,
    rules,
    custom: file.deny,
    bindAllow: file.bindAllow ?? base.bindAllow,
    capAllow: new Set([...base.capAllow, ...file.capAllow]),
    securityOptAllow: new Set([...base.securityOptAllow, ...file.securityOptAllow]),
  };
}
