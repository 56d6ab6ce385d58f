/** Bounded mailboxes: FIFO storage, overflow policies, system lane, counters. @module */

export {
  DEFAULT_MAILBOX_CAPACITY,
  type DeadLetterReason,
  type DeadLetterSink,
  Mailbox,
  type MailboxCounters,
  type MailboxOptions,
  type OverflowPolicy,
} from './mailbox.js';
export { RingBuffer } from './ring-buffer.js';
