/**
 * Classic Swarm placement rules, parsed from a container create's `Env`:
 * `constraint:storage==ssd`, `constraint:node!=node2`, `affinity:container==web`,
 * `affinity:image==redis`, with glob (`node*`) or `/regex/` values and `==~` / `!=~` for soft rules
 * (a soft rule is dropped when no node satisfies it). The rules are removed from the `Env` forwarded to
 * the daemon, as classic Swarm did, so they never leak into the container.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import { compileGlob, compileRegex, InvalidPatternError, type Pattern } from '../patterns.js';

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
  try {
    rulePattern(value);
  } catch (err) {
    // Go's message (`error parsing regexp: missing closing ): \`(\``): the rule is refused up front rather
    // than matching nothing on every node, as classic Swarm's logged-and-ignored compile error did.
    if (err instanceof InvalidPatternError) {
      throw invalid(text, `bad ${isRegex(value) ? 'regular expression' : 'glob'}: ${err.message}`);
    }
    throw err;
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
 * True when `value` matches `pattern`: `/re/` is a Go regular expression (unanchored, as in Swarm),
 * anything else is a whole-string glob where `*` is any run and `?` any one character. Both run on the
 * linear-time engine of `patterns.ts`; a pattern that does not compile matches nothing (classic Swarm
 * logged the error and found no match).
 */
export function matchPattern(pattern: string, value: string): boolean {
  return tryRulePattern(pattern)?.test(value) === true;
}

/**
 * Whether any of `values` satisfies the rule: for `==` one must match, for `!=` none may.
 * An empty list never matches, so `!=` holds for a node that lacks the key altogether.
 */
export function ruleHolds(rule: PlacementRule, values: readonly string[]): boolean {
  // Compiled once per node, not per value (the cache makes it cheap across nodes too).
  const compiled = tryRulePattern(rule.pattern);
  const hit = compiled !== undefined && values.some((v) => compiled.test(v));
  return rule.negate ? !hit : hit;
}

function isRegex(value: string): boolean {
  return value.length >= 2 && value.startsWith('/') && value.endsWith('/');
}

/** The compiled form of a rule value: `/re/` as a regex, anything else as a glob. */
function rulePattern(value: string): Pattern {
  return isRegex(value) ? compileRegex(value.slice(1, -1)) : compileGlob(value);
}

function tryRulePattern(value: string): Pattern | undefined {
  try {
    return rulePattern(value);
  } catch (err) {
    if (err instanceof InvalidPatternError) return undefined;
    throw err;
  }
}

function invalid(text: string, why: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `invalid placement rule "${text}": ${why}`, {
    details: { rule: text },
  });
}
