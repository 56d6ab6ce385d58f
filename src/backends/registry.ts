/**
 * Every stage swarmd knows, by name. `swarmd --list` and `--help` print this table; the chain and
 * aggregate look stages up here.
 * @module
 */
import { aggregateStage } from './aggregate.js';
import { debugStage } from './debug.js';
import { dockerclientStage } from './dockerclient.js';
import { dockerserverStage } from './dockerserver.js';
import { execStage } from './exec.js';
import { listenStage } from './listen.js';
import { remoteStage } from './remote.js';
import { simulatorStage } from './simulator.js';
import type { StageDefinition } from './stage.js';

/** The stages, in the order `--help` shows them (front ends first). */
export const STAGES: readonly StageDefinition[] = [
  dockerserverStage,
  simulatorStage,
  dockerclientStage,
  aggregateStage,
  debugStage,
  listenStage,
  remoteStage,
  execStage,
];

const byName = new Map(STAGES.map((s) => [s.name, s]));

/** Looks a stage up by name. */
export function findStage(name: string): StageDefinition | undefined {
  return byName.get(name);
}

/** Stage names, sorted. */
export function stageNames(): string[] {
  return [...byName.keys()].sort();
}
