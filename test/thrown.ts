import { expect } from 'vitest';
import { type ErrorCodeValue, SwarmError } from '../src/errors.js';

/**
 * Calls `fn`, expects it to throw a {@link SwarmError} with `code`, and returns the error's message
 * (tests then check that the message names the fix). Fails the test when nothing is thrown.
 */
export function thrownMessage(fn: () => unknown, code: ErrorCodeValue): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SwarmError);
    expect((err as SwarmError).code).toBe(code);
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}
