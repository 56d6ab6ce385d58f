/**
 * The aggregate's command line: `aggregate "<stage command>" … [--strategy spread|binpack|random]
 * [--deadline ms] [--op-deadline ms] [--nodes-file F]`. A command may be prefixed `name=` to name its node
 * (`"n1=dockerclient unix:///run/n1.sock"`); otherwise nodes are called node1, node2…
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import { lexStage } from '../lexer.js';
import { parseStageArgs } from '../stage-args.js';
import { STRATEGIES, type Strategy } from './placement.js';

/** One child to run. */
export interface NodeSpec {
  name: string;
  command: string;
}

/** Parsed arguments. */
export interface AggregateArgs {
  nodes: NodeSpec[];
  strategy: Strategy;
  /** Deadline on lists, info, probes and other reads, ms: what detects a hung child. */
  deadline: number;
  /**
   * Deadline on calls that change a container (create, start, stop, rm, …), ms. Longer, because a
   * busy real daemon can take seconds to start a container; failing it at the read deadline would
   * report an error for a container that does start.
   */
  opDeadline: number;
  nodesFile?: string;
}

/**
 * Default deadline: `docker ps` must answer within 2 s with a hung node, and that 2 s includes the
 * CLI's own start-up and `_ping`, which took 0.3–0.7 s on a loaded 2-core host; 1.5 s left too little
 * (measured 2.16 s end to end).
 */
export const DEFAULT_DEADLINE_MS = 1000;
/** Default deadline for container-changing calls. */
export const DEFAULT_OP_DEADLINE_MS = 30_000;

/** The flags, for node:util `parseArgs`. */
const OPTIONS = {
  strategy: { type: 'string' },
  deadline: { type: 'string' },
  'op-deadline': { type: 'string' },
  'nodes-file': { type: 'string' },
} as const;

/** Parses the stage arguments; throws `SWARM_ERR_INVALID_ARGUMENT` with a fix. */
export function parseAggregateArgs(args: readonly string[]): AggregateArgs {
  const { values, positionals } = parseStageArgs(
    'aggregate',
    args,
    OPTIONS,
    'options: --strategy spread|binpack|random, --deadline ms, --op-deadline ms, --nodes-file F',
  );
  const strategy = values.strategy ?? 'spread';
  if (!STRATEGIES.includes(strategy as Strategy))
    throw invalid(`unknown strategy "${strategy}"; use ${STRATEGIES.join(', ')}`);
  const out: AggregateArgs = {
    nodes: nodeSpecs(positionals),
    strategy: strategy as Strategy,
    deadline: millis('--deadline', values.deadline, DEFAULT_DEADLINE_MS),
    opDeadline: millis('--op-deadline', values['op-deadline'], DEFAULT_OP_DEADLINE_MS),
    ...(values['nodes-file'] === undefined ? {} : { nodesFile: values['nodes-file'] }),
  };
  if (out.nodes.length === 0 && !out.nodesFile) {
    throw invalid('give at least one child command, e.g. aggregate "simulator node1" "simulator node2"');
  }
  return out;
}

function millis(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const d = Number(text);
  if (!Number.isFinite(d) || d <= 0) throw invalid(`${flag} takes a positive number of milliseconds`);
  return d;
}

/** `name=command` → its parts; a plain command → no name. */
export function splitNamed(text: string): { name?: string; command: string } {
  const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/s.exec(text.trim());
  return m ? { name: m[1] as string, command: (m[2] as string).trim() } : { command: text.trim() };
}

/** Turns command strings (optionally `name=command`) into named specs; names must be unique. */
export function nodeSpecs(commands: readonly string[], startIndex = 1): NodeSpec[] {
  const specs = commands.map((c, i) => {
    const { name, command } = splitNamed(c);
    return { name: name ?? `node${i + startIndex}`, command };
  });
  const seen = new Set<string>();
  for (const s of specs) {
    if (!s.command) throw invalid(`empty command for node ${s.name}`);
    if (seen.has(s.name)) throw invalid(`node name ${s.name} is used twice`);
    seen.add(s.name);
  }
  return specs;
}

/**
 * The stages a node added at run time (a `control add` or a `--nodes-file` line) may be. Both reach the
 * aggregate from outside its command line — a session peer, whoever can write the file — so they can
 * only name a daemon to talk to, never a stage that runs a program (`exec`, a module path), opens a
 * listener (`listen`, `dockerserver`) or nests more of them (`aggregate`).
 */
export const RUNTIME_CHILD_STAGES: ReadonlySet<string> = new Set(['dockerclient', 'remote', 'simulator']);

/**
 * Throws `SWARM_ERR_FORBIDDEN` (403) unless `command` is a stage in {@link RUNTIME_CHILD_STAGES};
 * `where` says how it arrived ("control add", "nodes file line 3").
 */
export function checkRuntimeChild(command: string, where: string): void {
  const { name, args } = lexStage(command);
  if (name === 'dockerclient' && args.some((a) => /^ssh:\/\//i.test(a))) {
    // dockerclient ssh:// runs `ssh` with the operator's keys against a host the peer names.
    throw new SwarmError(
      ErrorCode.Forbidden,
      `aggregate: ${where}: a node added at run time cannot be dockerclient ssh://… (it runs ssh with this host's keys); give it on the aggregate command line`,
      { details: { status: 403 } },
    );
  }
  if (RUNTIME_CHILD_STAGES.has(name)) return;
  throw new SwarmError(
    ErrorCode.Forbidden,
    `aggregate: ${where}: a node added at run time can be ${[...RUNTIME_CHILD_STAGES].join(', ')}, not "${name}"; ` +
      'give other stages on the aggregate command line',
    { details: { status: 403 } },
  );
}

function invalid(why: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `aggregate: ${why}`);
}
