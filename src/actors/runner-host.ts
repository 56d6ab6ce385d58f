/**
 * What an actor cell depends on outside itself — its system ({@link CellHost}) and its supervisor
 * ({@link ChildOwner}), both interfaces so the runner never imports either — and how a cell turns an
 * undeliverable message into a dead letter.
 * @module
 */
import type { Clock } from '../clock.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { DeadLetterReason } from '../mailbox/index.js';
import { type ExitReason, type Inspector, replyWithError } from './behavior.js';
import type { DeadLetters } from './dead-letters.js';
import type { ActorCell } from './runner.js';

/** What a cell needs from its system (an interface, so the runner never imports the system). */
export interface CellHost {
  readonly clock: Clock;
  readonly deadLetters: DeadLetters;
  inspector: Inspector | undefined;
  /** Makes a fresh unique actor id. */
  newId(): string;
  /** Called once when a cell reaches a final state. */
  cellTerminated(cell: AnyCell): void;
}

/** Whoever decides what happens after a cell exits (a supervisor). It must call `restart` or `finish`. */
export interface ChildOwner {
  childExit(cell: AnyCell, reason: ExitReason): void;
  /** The child is going away for good at its holder's request (ref closed, `system.stop`): forget it. */
  removeChild(cell: AnyCell): void;
}

/** A cell of any message type (the runtime's internal bookkeeping never looks at messages). */
// biome-ignore lint/suspicious/noExplicitAny: bookkeeping over cells of every message type
export type AnyCell = ActorCell<any>;

/**
 * Records a dead letter; a verb request (`ret` Sender) also gets an error reply, so its requester
 * hears at once instead of waiting for a deadline.
 */
export function deadLetter(
  cell: { readonly host: CellHost; readonly id: string },
  message: unknown,
  reason: DeadLetterReason | 'stopped',
): void {
  cell.host.deadLetters.publish(message, reason, cell.id);
  if ((message as { ret?: unknown } | null | undefined)?.ret === undefined) return;
  const gone = reason === 'stopped' || reason === 'closed';
  replyWithError(
    message,
    new SwarmError(
      gone ? ErrorCode.ActorStopped : ErrorCode.Dropped,
      gone ? 'actor stopped' : `dropped (${reason})`,
      {
        details: { actor: cell.id, reason },
      },
    ),
  );
}
