/**
 * The actor lifecycle as ONE xstate v5 machine definition. Service actors may run it as an xstate
 * actor ({@link createLifecycleActor}); lightweight actors hold only the current state name and
 * advance it through {@link nextLifecycleState}, a table derived once, at module load, from this very
 * machine with xstate's pure `transition` function — so the definition stays the single source of
 * truth while the per-actor cost is one string field and the hot path never touches xstate.
 * @module
 */
import { type Actor, createActor, setup, transition } from 'xstate';

/** Lifecycle states. `stopped` and `failed` are final. */
export type LifecycleState = 'starting' | 'running' | 'restarting' | 'stopping' | 'stopped' | 'failed';

/** Lifecycle events. */
export type LifecycleEventType = 'started' | 'restart' | 'stop' | 'stopped' | 'fail';

/** A lifecycle event object, as xstate sees it. */
export interface LifecycleEvent {
  type: LifecycleEventType;
}

/** The lifecycle machine: starting → running → restarting → stopping → stopped / failed. */
export const lifecycleMachine = setup({
  types: { events: {} as LifecycleEvent },
}).createMachine({
  id: 'actor-lifecycle',
  initial: 'starting',
  states: {
    starting: { on: { started: 'running', restart: 'restarting', stop: 'stopping', fail: 'failed' } },
    running: { on: { restart: 'restarting', stop: 'stopping', fail: 'failed' } },
    restarting: { on: { started: 'running', stop: 'stopping', fail: 'failed' } },
    stopping: { on: { stopped: 'stopped', fail: 'failed' } },
    stopped: { type: 'final' },
    failed: { type: 'final' },
  },
});

const STATES: readonly LifecycleState[] = [
  'starting',
  'running',
  'restarting',
  'stopping',
  'stopped',
  'failed',
];
const EVENTS: readonly LifecycleEventType[] = ['started', 'restart', 'stop', 'stopped', 'fail'];

/**
 * state → event → next state, computed from {@link lifecycleMachine} with xstate's pure transition
 * function. A missing entry means the event is not accepted in that state.
 */
const TABLE: Readonly<Record<LifecycleState, Partial<Record<LifecycleEventType, LifecycleState>>>> = (() => {
  const table = {} as Record<LifecycleState, Partial<Record<LifecycleEventType, LifecycleState>>>;
  for (const state of STATES) {
    const row: Partial<Record<LifecycleEventType, LifecycleState>> = {};
    const snapshot = lifecycleMachine.resolveState({ value: state, context: {} });
    for (const type of EVENTS) {
      const [next] = transition(lifecycleMachine, snapshot, { type });
      const value = next.value as LifecycleState;
      if (value !== state) row[type] = value;
    }
    table[state] = row;
  }
  return table;
})();

/** The state after `event` in `state`, or `undefined` when the machine does not accept it there. */
export function nextLifecycleState(
  state: LifecycleState,
  event: LifecycleEventType,
): LifecycleState | undefined {
  return TABLE[state][event];
}

/** True for `stopped` and `failed`. */
export function isFinalLifecycleState(state: LifecycleState): boolean {
  return state === 'stopped' || state === 'failed';
}

/** Starts the lifecycle machine as a full xstate actor, for service actors that want xstate's inspection. */
export function createLifecycleActor(): Actor<typeof lifecycleMachine> {
  return createActor(lifecycleMachine).start();
}
