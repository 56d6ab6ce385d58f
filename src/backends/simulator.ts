/**
 * The `simulator` stage: an in-memory Docker engine that answers the Docker verbs the way dockerd
 * 20.10 (API 1.41) does, so `dockerserver → simulator` works with the unmodified docker CLI and
 * docker-compose: containers (create … rm, exec, diff, export, update), networks, volumes (their files
 * kept in memory between containers), images (pull, import, tag, rmi, history, commit, save, load, prune),
 * events, version, info. Containers "run" a tiny command model (echo, sleep, cat, sh -c, `> file`,
 * exit N) on the chain's clock. Thousands fit in one process: an idle engine holds no timers.
 *
 * Names: `simulator node1` is one engine named node1 (info Name). One stage is always one engine;
 * several names are refused, because a Docker client cannot address engines inside one stage — run
 * `aggregate "simulator node1" "simulator node2"` for several.
 * @module
 */
import type { Message } from '../actors/message.js';
import { ErrorCode, SwarmError } from '../errors.js';
import { Engine } from './simulator/engine.js';
import { handleDocker } from './simulator/handlers.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';
import { parseStageArgs } from './stage-args.js';

/** Parsed `simulator` arguments. */
export interface SimulatorArgs {
  name: string;
  labels: string[];
  /** Running `sleep infinity` containers to start with (`<name>-c<i>`), for benchmarks and demos. */
  seed: number;
}

function invalid(message: string): SwarmError {
  return new SwarmError(ErrorCode.InvalidArgument, `simulator: ${message}`);
}

/** Parses `[name] [--label k=v]… [--seed N]`; throws SWARM_ERR_INVALID_ARGUMENT with a fix. */
export function parseSimulatorArgs(args: readonly string[]): SimulatorArgs {
  const { values, positionals: names } = parseStageArgs(
    'simulator',
    args,
    { label: { type: 'string', multiple: true }, seed: { type: 'string' } } as const,
    'options: --label k=v, --seed N',
  );
  const labels = values.label ?? [];
  for (const l of labels) if (!/^[^=\s]+=/.test(l)) throw invalid(`--label wants key=value, got "${l}"`);
  const seed = values.seed === undefined ? 0 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 100_000) {
    throw invalid(`--seed wants a count 0..100000, got "${values.seed}"`);
  }
  if (names.length > 1) {
    throw invalid(
      `one stage is one engine; got ${names.length} names. For several engines use: aggregate ${names.map((n) => `"simulator ${n}"`).join(' ')}`,
    );
  }
  const name = names[0] ?? 'simulator';
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw invalid(`engine name "${name}" must be a hostname-like word ([a-zA-Z0-9][a-zA-Z0-9_.-]*)`);
  }
  return { name, labels, seed };
}

/** A running simulator stage; `engine` is exposed for tests and embedding. */
export interface SimulatorInstance extends StageInstance {
  readonly engine: Engine;
}

/** Builds a simulator instance around a fresh engine. */
export function createSimulator(
  parsed: SimulatorArgs,
  ctx: Pick<StageContext, 'clock'> & Partial<Pick<StageContext, 'log'>>,
  wallBase?: number,
): SimulatorInstance {
  const engine = new Engine({
    name: parsed.name,
    clock: ctx.clock,
    labels: parsed.labels,
    wallBase,
    ...(ctx.log ? { log: ctx.log } : {}),
  });
  for (let i = 0; i < parsed.seed; i++) {
    const { Id } = engine.create(
      { name: `${parsed.name}-c${i}` },
      { Image: 'busybox:local', Cmd: ['sleep', 'infinity'] },
    );
    engine.start(Id);
  }
  return {
    engine,
    handle: (message: Message) => handleDocker(engine, message),
    describe: () =>
      `simulated Docker engine "${parsed.name}" (API 1.41, ${engine.containers.size} containers, ${engine.images.all.length} images)`,
  };
}

/** The `simulator` stage definition. */
export const simulatorStage: StageDefinition = {
  name: 'simulator',
  summary: 'an in-memory Docker engine (dockerd 20.10 / API 1.41 replies) for tests, demos and benchmarks',
  usage: 'simulator [name] [--label key=value]… [--seed N]',
  example: 'simulator node1 --label storage=ssd',
  help: [
    'Answers Docker requests like dockerd 20.10: containers, exec, networks, volumes, images',
    '(busybox:local plus anything pulled: pulls always succeed; import, tag, commit, save, load), events,',
    'logs, attach (also over a websocket), wait. Containers run a command model: echo, sleep N|infinity, cat (stdin or',
    "files), true, false, hostname, env, top, sh -c '<a>; <b> && <c>' with exit N, trap and",
    "'> file' / '>> file' (the container's files and its volumes, in memory); anything else fails",
    'to start like a missing binary (exit 127).',
    '',
    'name      the engine name (info Name), default "simulator". One stage is one engine; for',
    '          several use aggregate "simulator n1" "simulator n2".',
    '--label   engine label for info Labels (placement constraints), repeatable.',
    '--seed N  start N running `sleep infinity` containers named <name>-c<i>.',
  ].join('\n'),
  create(args: string[], ctx: StageContext): StageInstance {
    return createSimulator(parseSimulatorArgs(args), ctx);
  },
};
