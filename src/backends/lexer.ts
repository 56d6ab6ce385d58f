/**
 * Splits one stage argument into words, shell-style (shell-quote), so nested quoting works exactly as
 * in `swarmd 'aggregate "dockerclient unix:///a.sock" "dockerclient tcp://b:2375"'`: the user's shell
 * removes the outer quotes, this removes the inner ones, and aggregate lexes each child command again.
 * Variables are kept literally (swarmd is not a shell), globs stay plain words (constraint patterns use
 * them), and shell operators are refused with the fix.
 * @module
 */
import { parse } from 'shell-quote';
import { ErrorCode, SwarmError } from '../errors.js';

/** A stage command split into its stage name and arguments. */
export interface StageCommand {
  /** The command as the user wrote it. */
  source: string;
  name: string;
  args: string[];
}

/** Lexes one stage argument. Throws `SWARM_ERR_INVALID_ARGUMENT` naming the problem and the fix. */
export function lexStage(source: string): StageCommand {
  const words: string[] = [];
  for (const token of parse(source, (key) => `$${key}`)) {
    if (typeof token === 'string') words.push(token);
    else if ('op' in token && token.op === 'glob') words.push((token as { pattern: string }).pattern);
    else if ('comment' in token) {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `"${source}": '#' starts a comment here; quote it if it is part of a word`,
      );
    } else {
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `"${source}": shell operator '${token.op}' is not allowed inside a stage; each stage is one argument — quote the operator if it is data`,
      );
    }
  }
  const [name, ...args] = words;
  if (!name) {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      "empty stage: each argument must name a stage, e.g. 'simulator'",
    );
  }
  return { source, name, args };
}
