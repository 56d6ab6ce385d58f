/**
 * The policy's decision for one request: decode its body as dockerd will, run the profile's rules and
 * the rules file's own `deny` rules, and say which one refused and what it saw. Pure: no IO besides
 * resolving bind sources that exist on this host.
 * @module
 */
import type { Pattern } from '../patterns.js';
import { CREATE_BODY, EXEC_BODY, NETWORK_BODY, UPDATE_BODY, VOLUME_BODY } from './docker-types.js';
import { GoDecodeError, type GoStruct, type GoType, goDecode } from './go-decode.js';
import { GoJsonError, goJsonOfBody } from './go-json.js';
import { cleanHostPath } from './host-paths.js';
import {
  DEFAULT_CAPS,
  RULE_NAMES,
  RULES,
  type RuleInput,
  type RuleSettings,
  SAFE_SECURITY_OPTS,
} from './rules.js';

/** The built-in profiles. */
export const PROFILES = ['readonly', 'restricted', 'ci'] as const;
/** A built-in profile's name. */
export type ProfileName = (typeof PROFILES)[number];

/** A `deny` rule from a rules file. */
export interface CustomRule {
  name: string;
  /** Op globs (`container.*`); empty means every op. */
  ops: Pattern[];
  /** Query parameters that must match (a missing parameter matches as the empty string). */
  query: [string, Pattern][];
  /** A field path in the decoded body (`HostConfig.NetworkMode`, `Labels.team`) and the pattern its value must match. */
  field?: { path: string[]; pattern: Pattern };
  /** Said after the rule's name in the 403. */
  message?: string;
}

/** Everything a decision reads. */
export interface PolicyConfig extends RuleSettings {
  profile: ProfileName;
  /** The built-in rules in force. */
  rules: ReadonlySet<string>;
  custom: readonly CustomRule[];
}

/** Host folders the `ci` profile lets jobs bind (GitLab's /builds, GitHub's runner work folder, /tmp). */
export const CI_BIND_ALLOW: readonly string[] = ['/builds', '/workspace', '/home/runner/work', '/tmp'];

/** The settings of a built-in profile. */
export function profileConfig(profile: ProfileName): PolicyConfig {
  const rules = new Set(RULE_NAMES.filter((r) => profile === 'readonly' || r !== 'read-only'));
  return {
    profile,
    rules,
    custom: [],
    bindAllow: profile === 'ci' ? CI_BIND_ALLOW.map(cleanHostPath) : [],
    capAllow: new Set(DEFAULT_CAPS),
    securityOptAllow: new Set(SAFE_SECURITY_OPTS),
  };
}

/** A request as the policy reads it. */
export interface PolicyRequest {
  op: string;
  id?: string;
  query: Readonly<Record<string, string>>;
  /** The body: a JSON value (as `JSON.parse` made it) or its bytes; `undefined` when there is none. */
  body?: unknown;
}

/** The decision. */
export type Verdict = { allow: true; body?: GoStruct } | { allow: false; rule: string; what: string };

/** Ops whose body decides what happens; the Go type each body decodes into. */
export const BODY_TYPES: Readonly<Record<string, GoType>> = {
  'container.create': CREATE_BODY,
  'container.exec': EXEC_BODY,
  'volume.create': VOLUME_BODY,
  'network.create': NETWORK_BODY,
  'container.update': UPDATE_BODY,
};

/** The rule name of refusals for bodies that cannot be read (not a rule that can be turned off). */
export const BODY_RULE = 'body';

function lookup(body: GoStruct | undefined, path: readonly string[]): string | undefined {
  let v: unknown = body;
  for (const p of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function customFinding(rule: CustomRule, input: RuleInput): string | undefined {
  if (rule.ops.length && !rule.ops.some((p) => p.test(input.op))) return undefined;
  for (const [k, p] of rule.query) if (!p.test(input.query[k] ?? '')) return undefined;
  if (rule.field) {
    const v = lookup(input.body, rule.field.path);
    if (v === undefined || !rule.field.pattern.test(v)) return undefined;
    return `${rule.field.path.join('.')} is ${JSON.stringify(v)}`;
  }
  return `${input.op}${input.id ? ` ${input.id}` : ''}`;
}

/** Decodes a request's body into its op's Go type, or says why it cannot be read. */
export function decodeBody(op: string, body: unknown): { body?: GoStruct } | { error: string } {
  const type = BODY_TYPES[op];
  if (!type) return {};
  try {
    const json = goJsonOfBody(body);
    if (json === undefined || json === null)
      return { error: `${op} has no body the policy could read (a ${op} always carries one)` };
    return { body: goDecode(type, json) };
  } catch (err) {
    if (err instanceof GoJsonError || err instanceof GoDecodeError)
      return { error: `the body cannot be read as the daemon would: ${err.message}` };
    throw err;
  }
}

/** Decides on one request. */
export function decide(req: PolicyRequest, config: PolicyConfig): Verdict {
  const decoded = decodeBody(req.op, req.body);
  if ('error' in decoded) return { allow: false, rule: BODY_RULE, what: decoded.error };
  const input: RuleInput = { op: req.op, query: req.query };
  if (req.id !== undefined) input.id = req.id;
  if (decoded.body) input.body = decoded.body;
  for (const rule of RULES) {
    if (!config.rules.has(rule.name)) continue;
    const what = rule.check(input, config);
    if (what) return { allow: false, rule: rule.name, what };
  }
  for (const rule of config.custom) {
    const what = customFinding(rule, input);
    if (what)
      return { allow: false, rule: rule.name, what: rule.message ? `${what}: ${rule.message}` : what };
  }
  return decoded.body ? { allow: true, body: decoded.body } : { allow: true };
}

/** The 403 message: `<op> denied by policy rule <name>: <what> (profile <p>)`. */
export function denialMessage(
  op: string,
  verdict: { rule: string; what: string },
  config: PolicyConfig,
): string {
  return `${op || 'request'} denied by policy rule ${verdict.rule}: ${verdict.what} (profile ${config.profile})`;
}
