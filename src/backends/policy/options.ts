/**
 * The policy stage's arguments: `--profile`, `--rules FILE`, `--dry-run`, `--identity NAME`, `--own`.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import { IDENTITY_RULE, isIdentity } from '../docker/http-identity.js';
import { parseStageArgs } from '../stage-args.js';
import { type PolicyConfig, PROFILES, type ProfileName } from './decide.js';
import { applyRules, loadRulesFile } from './rules-file.js';

/** The usage line. */
export const POLICY_USAGE =
  'policy [--profile readonly|restricted|ci] [--rules FILE] [--dry-run] [--identity NAME] [--own]';

/** What the stage runs with. */
export interface PolicyOptions {
  config: PolicyConfig;
  /** Log what would be denied and let it pass (learning mode). */
  dryRun: boolean;
  /**
   * The identity of a request that carries none (dockerserver's `--identity`/`--tlsverify` set one per
   * request, and that one wins): ownership labels, logs.
   */
  identity?: string;
  /** Label created containers with the identity and hide everything else. */
  own: boolean;
  rulesFile?: string;
}

/** Parses the stage's arguments (and the rules file). Throws SWARM_ERR_INVALID_ARGUMENT with the fix. */
export function parsePolicyArgs(args: readonly string[]): PolicyOptions {
  const { values, positionals } = parseStageArgs(
    'policy',
    args,
    {
      profile: { type: 'string' },
      rules: { type: 'string' },
      'dry-run': { type: 'boolean' },
      identity: { type: 'string' },
      own: { type: 'boolean' },
    },
    `usage: ${POLICY_USAGE}`,
  );
  if (positionals.length)
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: unexpected argument ${positionals[0]}; usage: ${POLICY_USAGE}`,
    );
  const profile = values.profile;
  if (profile !== undefined && !(PROFILES as readonly string[]).includes(profile))
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: unknown profile ${profile}; use one of ${PROFILES.join(', ')}`,
    );
  const identity = values.identity;
  if (identity !== undefined && !isIdentity(identity))
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: --identity ${JSON.stringify(identity)}: use ${IDENTITY_RULE}`,
    );
  const file = values.rules === undefined ? undefined : loadRulesFile(values.rules);
  const opts: PolicyOptions = {
    config: applyRules(file, profile as ProfileName | undefined),
    dryRun: values['dry-run'] === true,
    own: values.own === true,
  };
  if (identity !== undefined) opts.identity = identity;
  if (values.rules !== undefined) opts.rulesFile = values.rules;
  return opts;
}
