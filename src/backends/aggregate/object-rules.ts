/**
 * Placement rules for objects that are not containers: a network or volume create, a build. Classic
 * Swarm's forms are accepted: a `node/` prefix on the name, a `com.docker.swarm.constraints` label
 * holding a JSON list (`["node==node1"]`), and `constraint:…`/`affinity:…` written as a label, a driver
 * option (`-o`) or a build arg, whose `=` splits the rule into key and value (`--label
 * constraint:node==node1` arrives as key `constraint:node`, value `=node1`). The rules are removed
 * from what the daemon gets.
 * @module
 */
import { isRuleText, type PlacementRule, parseRule } from './rules.js';

/** The label classic Swarm read constraints from. */
export const CONSTRAINTS_LABEL = 'com.docker.swarm.constraints';

/** Splits a key/value map into placement rules and the entries the daemon should really get. */
export function rulesFromMap(map: Record<string, string> | null | undefined): {
  rules: PlacementRule[];
  rest: Record<string, string> | null | undefined;
} {
  if (!map) return { rules: [], rest: map };
  const rules: PlacementRule[] = [];
  const rest: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    if (k === CONSTRAINTS_LABEL) {
      for (const c of parseList(v)) rules.push(parseRule(`constraint:${c}`));
    } else if (isRuleText(k)) rules.push(parseRule(`${k}=${v}`));
    else if (isRuleText(v) && k === '') rules.push(parseRule(v));
    else rest[k] = v;
  }
  return { rules, rest };
}

function parseList(v: string): string[] {
  try {
    const parsed = JSON.parse(v) as unknown;
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [v];
  } catch {
    return [v];
  }
}

/** A rule pinning the object to one node (from a `node/name` prefix). */
export function nodeRule(node: string): PlacementRule {
  return { kind: 'constraint', key: 'node', negate: false, soft: false, pattern: node };
}
