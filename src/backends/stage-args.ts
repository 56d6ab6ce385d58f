/**
 * Stage argument parsing on node:util `parseArgs`, with its errors turned into usage errors that name
 * the stage and the fix (`simulator: unknown option --bogus; options: --label k=v, --seed N`).
 * @module
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ErrorCode, SwarmError } from '../errors.js';

/** The option table `parseArgs` takes. */
export type StageOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseStageArgs} returns for an option table: typed `values` and the `positionals`. */
export type StageArgs<O extends StageOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>;

/**
 * Parses `args` strictly: positionals allowed, `--name value` and `--name=value`, `--` ends options.
 * Throws `SWARM_ERR_INVALID_ARGUMENT` (`<stage>: unknown option --x; <fix>`, `<stage>: --x needs a
 * value`) instead of node's TypeError.
 */
export function parseStageArgs<O extends StageOptions>(
  stage: string,
  args: readonly string[],
  options: O,
  fix: string,
): StageArgs<O> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = (err as { code?: string }).code;
    const flag = /'(-[^'\s]*)/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION')
      throw new SwarmError(ErrorCode.InvalidArgument, `${stage}: unknown option ${flag}; ${fix}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      throw new SwarmError(
        ErrorCode.InvalidArgument,
        `${stage}: ${flag} needs a value (a value starting with "-" is written ${flag}=<value>)`,
      );
    throw new SwarmError(ErrorCode.InvalidArgument, `${stage}: ${(err as Error).message}`);
  }
}
