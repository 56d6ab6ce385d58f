/**
 * The policy stage's arguments: `--profile`, `--rules FILE`, `--dry-run`, `--identity NAME`, `--own`.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
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
  /** Who the clients of this chain are (ownership labels, logs). */
  identity?: string;
  /** Label created containers with the identity and hide everything else. */
  own: boolean;
  rulesFile?: string;
}

/** A name that may be a label value and a log field: letters, digits, `.-_@`, up to 128. */
const IDENTITY = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

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
  if (identity !== undefined && !IDENTITY.test(identity))
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `policy: --identity ${JSON.stringify(identity)}: use letters, digits and . _ @ - (at most 128)`,
    );
  if (values.own && identity === undefined)
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      'policy: --own needs --identity NAME (whose containers these are)',
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
