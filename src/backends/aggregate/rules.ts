/**
 * Classic Swarm placement rules, parsed from a container create's `Env`:
 * `constraint:storage==ssd`, `constraint:node!=node2`, `affinity:container==web`,
 * `affinity:image==redis`, with glob (`node*`) or `/regex/` values and `==~` / `!=~` for soft rules
 * (a soft rule is dropped when no node satisfies it). The rules are removed from the `Env` forwarded to
 * the daemon, as classic Swarm did, so they never leak into the container.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';

/** Which family a rule belongs to: constraints test the node, affinities test what already runs on it. */
export type RuleKind = 'constraint' | 'affinity';

/** One parsed rule. */
export interface PlacementRule {
  kind: RuleKind;
  /** Constraint: `node`, a daemon label, `storagedriver`… Affinity: `container`, `image` or a container label. */
  key: string;
  /** `!=`: the node must NOT match. */
  negate: boolean;
  /** `==~` / `!=~`: honoured when possible, ignored when no node would remain. */
  soft: boolean;
  /** The value as written: a literal, a glob with `*`/`?`, or `/regex/`. */
  pattern: string;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PREFIXES: readonly RuleKind[] = ['constraint', 'affinity'];

/** True when an `Env` entry is a placement rule (it starts with `constraint:` or `affinity:`). */
export function isRuleText(text: string): boolean {
  return PREFIXES.some((p) => text.startsWith(`${p}:`));
}

/**
 * Parses one rule such as `constraint:storage==~ssd`. Throws `SWARM_ERR_INVALID_ARGUMENT` naming the
 * rule and the expected form when it is malformed.
 */
export function parseRule(text: string): PlacementRule {
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  if (colon < 0 || !PREFIXES.includes(kind as RuleKind)) {
    throw invalid(text, 'it must start with constraint: or affinity:');
  }
  const expr = text.slice(colon + 1);
  // The first operator wins so values may themselves contain `==` (a regex, for instance).
  const eq = expr.indexOf('==');
  const ne = expr.indexOf('!=');
  const at = eq < 0 ? ne : ne < 0 ? eq : Math.min(eq, ne);
  if (at < 0) throw invalid(text, 'use key==value or key!=value');
  const key = expr.slice(0, at);
  if (!KEY.test(key)) throw invalid(text, `"${key}" is not a valid key`);
  let value = expr.slice(at + 2);
  const soft = value.startsWith('~');
  if (soft) value = value.slice(1);
  if (value.length === 0) throw invalid(text, 'the value is empty');
  if (isRegex(value)) {
    try {
      new RegExp(value.slice(1, -1));
    } catch (err) {
      throw invalid(text, `bad regular expression: ${(err as Error).message}`);
    }
  }
  return { kind: kind as RuleKind, key, negate: at === ne, soft, pattern: value };
}

/** The canonical text of a rule; `parseRule(formatRule(r))` gives `r` back. */
export function formatRule(rule: PlacementRule): string {
  return `${rule.kind}:${rule.key}${rule.negate ? '!=' : '=='}${rule.soft ? '~' : ''}${rule.pattern}`;
}

/** Splits a create `Env` into placement rules and the environment the container should really get. */
export function extractRules(env: readonly string[] | null | undefined): {
  rules: PlacementRule[];
  env: string[];
} {
  const rules: PlacementRule[] = [];
  const rest: string[] = [];
  for (const entry of env ?? []) {
    if (isRuleText(entry)) rules.push(parseRule(entry));
    else rest.push(entry);
  }
  return { rules, env: rest };
}

/**
 * True when `value` matches `pattern`: `/re/` is a regular expression (unanchored, as in Swarm),
 * anything else is a whole-string glob where `*` is any run and `?` any one character.
 */
export function matchPattern(pattern: string, value: string): boolean {
  if (isRegex(pattern)) return new RegExp(pattern.slice(1, -1)).test(value);
  return globToRegExp(pattern).test(value);
}

/**
 * Whether any of `values` satisfies the rule: for `==` one must match, for `!=` none may.
 * An empty list never matches, so `!=` holds for a node that lacks the key altogether.
 */
export function ruleHolds(rule: PlacementRule, values: readonly string[]): boolean {
  const hit = values.some((v) => matchPattern(rule.pattern, v));
  return rule.negate ? !hit : hit;
}

function isRegex(value: string): boolean {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/');
}

const globCache = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, 's');
    if (globCache.size > 1000) globCache.clear();
    globCache.set(glob, re);
  }
  return re;
}

function invalid(text: string, why: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `invalid placement rule "${text}": ${why}`, {
    details: { rule: text },
  });
}
