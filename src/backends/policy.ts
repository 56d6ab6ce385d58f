/**
 * policy: decides on every Docker request before the next stage sees it, on the request as the daemon
 * will read it (op from the cleaned path, body decoded with Go's rules: case-folded keys, last
 * duplicate wins, objects merged). A denied request gets Docker's 403 `{"message": "… denied by policy
 * rule <name>: <what> …"}` and never goes further; a body that cannot be read is denied, never passed.
 * With `--own`, containers belong to the request's identity: the one the front door gave it
 * (dockerserver `--identity`, or the verified client certificate's CN), else the policy's own
 * `--identity`; a request with neither is refused. The rules: policy/rules.ts; profiles and the
 * decision: policy/decide.ts; the rules file: policy/rules-file.ts; ownership: policy/ownership.ts.
 * @module
 */
import type { Message } from '../actors/message.js';
import { refuse } from '../actors/reply.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { DockerArgs } from './docker/api.js';
import { IDENTITY_RULE, isIdentity } from './docker/http-identity.js';
import { decide, denialMessage, type Verdict } from './policy/decide.js';
import { POLICY_USAGE, type PolicyOptions, parsePolicyArgs } from './policy/options.js';
import { absentError, Ownership } from './policy/ownership.js';
import { RULES } from './policy/rules.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';

function isDockerArgs(a: unknown): a is DockerArgs {
  return typeof a === 'object' && a !== null && typeof (a as { op?: unknown }).op === 'string';
}

/** The rule name of `--own` refusals for a request whose client has no usable identity. */
export const IDENTITY_RULE_NAME = 'identity';

/**
 * Whose request `args` is: the identity the front door set (it wins: it names this very client),
 * else the policy's `--identity`; or why there is none.
 */
export function requestOwner(
  args: DockerArgs,
  fallback: string | undefined,
): { owner: string } | { what: string } {
  const id = args.identity;
  if (id !== undefined) {
    if (isIdentity(id)) return { owner: id };
    return {
      what: `the client's identity ${JSON.stringify(id).slice(0, 160)} cannot name an owner: an identity (a certificate's CN) uses ${IDENTITY_RULE}`,
    };
  }
  if (fallback !== undefined) return { owner: fallback };
  return {
    what:
      'with --own every request needs an identity and this one has none: name the clients at the front door ' +
      '(dockerserver … --identity NAME, or --tlsverify: each client certificate’s CN), or give policy --identity NAME',
  };
}

/** A running policy stage. */
export class PolicyStage implements StageInstance {
  readonly #opts: PolicyOptions;
  readonly #ctx: StageContext;
  readonly #own: Ownership | undefined;

  constructor(opts: PolicyOptions, ctx: StageContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#own = opts.own && ctx.downstream ? new Ownership(ctx.downstream, ctx.clock) : undefined;
  }

  describe(): string {
    const { config, dryRun, identity, rulesFile } = this.#opts;
    const parts = [`profile ${config.profile}`];
    if (rulesFile) parts.push(`rules ${rulesFile}`);
    if (this.#opts.own)
      parts.push(`own containers only (identity from the front door${identity ? `, else ${identity}` : ''})`);
    else if (identity) parts.push(`identity ${identity}`);
    return `${dryRun ? 'DRY RUN, logging what it would deny: ' : 'checking every request: '}${parts.join(', ')}`;
  }

  #deny(
    message: Message,
    op: string,
    verdict: { rule: string; what: string },
    identity = this.#opts.identity,
  ): void {
    const text = denialMessage(op, verdict, this.#opts.config);
    const log = { op, rule: verdict.rule, identity };
    if (this.#opts.dryRun) {
      this.#ctx.log.warn(log, `dry run: would deny ${text}`);
      return;
    }
    this.#ctx.log.info(log, text);
    refuse(
      message,
      new SwarmError(ErrorCode.PolicyDenied, text, { details: { status: 403, rule: verdict.rule } }),
    );
  }

  async handle(message: Message): Promise<void> {
    const downstream = this.#ctx.downstream;
    if (!downstream) {
      refuse(
        message,
        new SwarmError(ErrorCode.NotImplemented, `${this.#ctx.name}: no stage after policy`, {
          details: { status: 501 },
        }),
      );
      return;
    }
    const args = message.args;
    let verdict: Verdict;
    let op = '';
    if (!isDockerArgs(args)) {
      verdict = {
        allow: false,
        rule: 'unknown-endpoint',
        what: `a ${message.verb} message that is not a Docker API request`,
      };
    } else {
      op = args.op;
      const req = {
        op,
        query: args.query ?? {},
        body: args.body,
        ...(args.id !== undefined ? { id: args.id } : {}),
      };
      verdict = decide(req, this.#opts.config);
    }
    const identity = isDockerArgs(args) ? (args.identity ?? this.#opts.identity) : this.#opts.identity;
    if (!verdict.allow) {
      this.#deny(message, op, verdict, identity);
      if (!this.#opts.dryRun) return;
    }
    if (this.#own && isDockerArgs(args)) {
      const who = requestOwner(args, this.#opts.identity);
      if ('what' in who) {
        this.#deny(message, op, { rule: IDENTITY_RULE_NAME, what: who.what }, identity);
        if (!this.#opts.dryRun) return;
        await downstream.send(message);
        return;
      }
      const outcome = await this.#own.check(args, verdict.allow ? verdict.body : undefined, who.owner);
      if (outcome.kind === 'absent') {
        refuse(message, absentError(outcome.message));
        return;
      }
      if (outcome.kind === 'deny') {
        this.#deny(message, op, { rule: 'ownership', what: outcome.what }, identity);
        if (!this.#opts.dryRun) return;
      } else {
        await downstream.send({ ...message, args: outcome.args });
        return;
      }
    }
    await downstream.send(message);
  }
}

/** The `policy` stage: a Docker API firewall between a front end and the daemons. */
export const policyStage: StageDefinition = {
  name: 'policy',
  summary:
    'deny dangerous Docker requests (privileged, host mounts, host namespaces…) with 403; forward the rest',
  usage: POLICY_USAGE,
  example:
    "swarmd 'dockerserver unix:///run/ci/docker.sock' 'policy --profile ci' 'dockerclient unix:///var/run/docker.sock'",
  help: [
    'Checks every request on what the daemon will read: the cleaned path, and the body decoded as Go does',
    '(keys matched case-insensitively, the last duplicate wins, objects merged, \\u escapes). A denied request',
    'gets 403 {"message": "<op> denied by policy rule <rule>: <what> (profile <p>)"} and is never forwarded;',
    'a body that cannot be read that way is denied too (rule body).',
    'Profiles: restricted (default) allows everyday work (ps, images, pull, run with env/labels/limits/ports/',
    'networks/named volumes, start/stop/logs/exec/rm) and denies what makes a container root on the host;',
    'readonly allows only reads; ci is restricted plus bind mounts under /builds, /workspace,',
    '/home/runner/work and /tmp. Rules:',
    ...RULES.map((r) => `  ${r.name}: ${r.summary}`),
    '--rules FILE (YAML): profile, rules: {name: true|false}, binds: {allow: [paths]}, capabilities: {allow:',
    '[caps]}, securityOpts: {allow: [opts]}, deny: [{name, ops, query, field, pattern, message}]; checked at',
    'start (file:line:col). --dry-run logs "would deny" and forwards (learning mode).',
    '--own: each client keeps to its own containers: created containers get the label io.swarmd.owner=<identity>,',
    'lists and events show only those, and inspect, logs, exec, stop, rm, archive… on any other answer 404.',
    "The identity is the request's, set by the front door (dockerserver --identity NAME, or with --tlsverify",
    "the client certificate's CN; never from the request's headers); --identity NAME here is the default for",
    'requests that carry none. Under --own a request with no identity is refused (403, rule identity).',
  ].join('\n'),
  create(args: string[], ctx: StageContext): StageInstance {
    return new PolicyStage(parsePolicyArgs(args), ctx);
  },
};
