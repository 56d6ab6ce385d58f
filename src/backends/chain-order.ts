/**
 * The order check: before anything starts, every stage must stand where its {@link StageRole} allows.
 * A front end after another stage, a terminal stage before another, or a forwarding stage with nothing
 * after it would start fine and then fail every request; here they are usage errors naming the fix.
 * @module
 */
import { ErrorCode, SwarmError } from '../errors.js';
import { type StageDefinition, type StageRole, stageRole } from './stage.js';

/** One resolved stage of a chain, with how to name it in an error (`argument 2 "simulator"`). */
export interface PlacedStage {
  definition: StageDefinition;
  /** What the user wrote, for the suggested order: a command line or a stage's name. */
  source: string;
  where: string;
}

const RANK: Record<StageRole, number> = { front: 0, middle: 1, terminal: 2 };

/** Throws `SWARM_ERR_INVALID_ARGUMENT` for the first stage that stands where its role forbids. */
export function checkChainOrder(stages: readonly PlacedStage[]): void {
  const last = stages.length - 1;
  stages.forEach((stage, i) => {
    const { name } = stage.definition;
    const role = stageRole(stage.definition);
    let problem: string | undefined;
    if (role === 'front' && i > 0) {
      problem = `${name} takes requests from outside the chain, so it must be the first stage, not after ${stages[i - 1]?.definition.name}`;
    } else if (role === 'terminal' && i < last) {
      problem = `${name} answers every request itself, so the stages after it would never see one; it must be the last stage`;
    } else if (role !== 'terminal' && i === last) {
      problem = `${name} passes requests on to a next stage, but none follows it; add one after it (e.g. 'simulator' or 'dockerclient unix:///var/run/docker.sock')`;
    }
    if (problem) {
      throw new SwarmError(ErrorCode.InvalidArgument, `${stage.where}: ${problem}${suggestion(stages)}`);
    }
  });
}

/** "; in order: swarmd 'a' 'b'" when sorting by role alone gives a chain that passes the check. */
function suggestion(stages: readonly PlacedStage[]): string {
  const sorted = [...stages].sort((a, b) => RANK[stageRole(a.definition)] - RANK[stageRole(b.definition)]);
  const roles = sorted.map((s) => stageRole(s.definition));
  const fronts = roles.filter((r) => r === 'front').length;
  const terminals = roles.filter((r) => r === 'terminal').length;
  if (sorted.every((s, i) => s === stages[i]) || fronts > 1 || terminals !== 1) return '';
  return `; in this order it works: ${sorted.map((s) => `'${s.source}'`).join(' ')}`;
}
