/**
 * Secrets in stage commands: the link token and anything shaped like it never reach a log line, an
 * error text or a `control list` answer. Stage commands are logged and echoed in errors (a failed
 * start names its argument so the user can find it), so redaction works on the command text itself.
 * @module
 */

/** Flags whose value is a secret. `--token-file` names a file, which is not secret, so it stays. */
const SECRET_FLAGS = ['token'];

/** What a secret is replaced by. */
export const REDACTED = '[redacted]';

const flagPattern = new RegExp(
  // --token VALUE, --token=VALUE; VALUE may be quoted (the command is shell-lexed later) or bare.
  String.raw`(--(?:${SECRET_FLAGS.join('|')}))(=|\s+)("[^"]*"|'[^']*'|[^\s"']+)`,
  'g',
);
// user:password@ in a URL (tcp://u:p@host, wss://u:p@host/…).
const userinfoPattern = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@:]*:[^/\s@]*@/gi;

/** `text` with every secret flag value and URL password replaced by {@link REDACTED}. */
export function redactSecrets(text: string): string {
  return text.replace(flagPattern, `$1$2${REDACTED}`).replace(userinfoPattern, `$1${REDACTED}@`);
}

/** The same for a word list (`['--token', 'x']` → `['--token', '[redacted]']`). */
export function redactArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    out.push(redactSecrets(a));
    if (SECRET_FLAGS.some((f) => a === `--${f}`) && i + 1 < args.length) {
      out.push(REDACTED);
      i++;
    }
  }
  return out;
}
