/**
 * Parses swarmd's own options; everything else is a stage argument.
 * @module
 */
import { ErrorCode, SwarmError } from '../errors.js';

/** What the command line asked for. */
export interface CliOptions {
  action: 'run' | 'help' | 'version' | 'list';
  logLevel: string;
  stages: string[];
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses argv (without node and script). Throws `SWARM_ERR_INVALID_ARGUMENT` on a usage error. */
export function parseCli(argv: string[]): CliOptions {
  const out: CliOptions = { action: 'run', logLevel: 'info', stages: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      out.stages.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-h' || arg === '--help') out.action = 'help';
    else if (arg === '-v' || arg === '--version') out.action = 'version';
    else if (arg === '-l' || arg === '--list') out.action = 'list';
    else if (arg === '--log-level' || arg.startsWith('--log-level=')) {
      const level = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!level || !LEVELS.includes(level)) {
        throw new SwarmError(ErrorCode.InvalidArgument, `--log-level needs one of ${LEVELS.join(', ')}`);
      }
      out.logLevel = level;
    } else if (arg.startsWith('-') && !arg.includes(' ')) {
      throw new SwarmError(ErrorCode.InvalidArgument, `unknown option ${arg} (see swarmd --help)`);
    } else out.stages.push(arg);
  }
  return out;
}
