/**
 * Where stages are found: the built-in stages by name (`swarmd --list` and `--help` print this table),
 * and user stages by module path (`./stamp.mjs`), whose default export is a `defineStage(...)`.
 * @module
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, SwarmError } from '../errors.js';
import { aggregateStage } from './aggregate.js';
import { debugStage } from './debug.js';
import { dockerclientStage } from './dockerclient.js';
import { dockerserverStage } from './dockerserver.js';
import { execStage } from './exec.js';
import { listenStage } from './listen.js';
import { policyStage } from './policy.js';
import { remoteStage } from './remote.js';
import { simulatorStage } from './simulator.js';
import { STAGE_ROLES, type StageDefinition, type StageRole } from './stage.js';

/** A built-in stage with the place it may take in a chain (the stage files own behaviour, this table order). */
const withRole = (definition: StageDefinition, role: StageRole): StageDefinition => ({ ...definition, role });

/**
 * The built-in stages, in the order `--help` shows them (front ends first). Roles follow from what each
 * does with `ctx.downstream`: dockerserver and listen take requests from outside and forward every one;
 * debug logs and forwards; policy forwards what its rules allow; simulator, dockerclient and remote answer (remote over its link), aggregate
 * answers through its own child stages, and exec through its program, so none of them has a next stage.
 */
export const STAGES: readonly StageDefinition[] = [
  withRole(dockerserverStage, 'front'),
  withRole(simulatorStage, 'terminal'),
  withRole(dockerclientStage, 'terminal'),
  withRole(aggregateStage, 'terminal'),
  withRole(debugStage, 'middle'),
  withRole(policyStage, 'middle'),
  withRole(listenStage, 'front'),
  withRole(remoteStage, 'terminal'),
  withRole(execStage, 'terminal'),
];

const byName = new Map(STAGES.map((s) => [s.name, s]));

/** Looks a built-in stage up by name. */
export function findStage(name: string): StageDefinition | undefined {
  return byName.get(name);
}

/** Built-in stage names, sorted. */
export function stageNames(): string[] {
  return [...byName.keys()].sort();
}

/** True when a stage's first word names a module file rather than a built-in stage: `./x.mjs`, `../x.js`, `/abs/x.mjs`. */
export function isModulePath(word: string): boolean {
  return word.startsWith('./') || word.startsWith('../') || isAbsolute(word);
}

const SHAPE =
  "export default defineStage({ name, summary, usage, example, create(args, ctx) { … } }) with defineStage from 'libswarm-ts'";

/**
 * Imports the stage module at `path` (relative paths against `cwd`) and returns its default export.
 * A module that does not load, or whose default export is not a stage definition, throws
 * `SWARM_ERR_INVALID_ARGUMENT` naming the resolved path and the fix.
 */
export async function loadStageModule(path: string, cwd: string = process.cwd()): Promise<StageDefinition> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `stage module ${file} does not exist; check the path (relative paths are resolved against ${cwd})`,
    );
  }
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (err) {
    const fix = `its imports must resolve from its directory (npm install libswarm-ts there), and it must ${SHAPE}`;
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `stage module ${file} did not load: ${(err as Error).message}; ${fix}`,
      {
        cause: err,
      },
    );
  }
  const problem = definitionProblem(module.default);
  if (problem) {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `stage module ${file}: ${problem}; the module must ${SHAPE}`,
    );
  }
  return module.default as StageDefinition;
}

/** Why `value` is not a usable stage definition, or undefined when it is one. */
function definitionProblem(value: unknown): string | undefined {
  if (value === undefined) return 'it has no default export';
  if (typeof value !== 'object' || value === null)
    return `its default export is a ${typeof value}, not a stage`;
  const d = value as Partial<Record<keyof StageDefinition, unknown>>;
  if (typeof d.name !== 'string' || d.name === '') return 'its default export has no name';
  if (typeof d.create !== 'function')
    return `its default export "${d.name}" has no create(args, ctx) function`;
  if (d.role !== undefined && !STAGE_ROLES.includes(d.role as StageRole))
    return `its default export "${d.name}" has role ${JSON.stringify(d.role)}; use one of ${STAGE_ROLES.join(', ')}`;
  return undefined;
}
