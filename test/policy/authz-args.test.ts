/**
 * `swarmd authz-plugin --own` (or `--identity`) is refused at start with the reason and the fix:
 * Docker's AuthZ protocol can only allow or deny, so the owner label and filtered lists of `--own`
 * cannot exist in plugin mode (docs/SECURITY.md). Run as the real CLI: exit code 2, the message on stderr.
 */
import { describe, expect, it } from 'vitest';
import { OWN_IMPOSSIBLE, startAuthzPlugin } from '../../src/cli/authz-plugin.js';
import { REPO_BIN, runProcess } from '../harness/index.js';

describe('authz-plugin --own', () => {
  it('is refused at start, saying why and what to run instead', async () => {
    for (const args of [['--own'], ['--identity', 'ci'], ['--profile', 'ci', '--own']]) {
      const r = await runProcess(
        process.execPath,
        [REPO_BIN, 'authz-plugin', ...args, '--dir', '/tmp/sw-none'],
        {
          timeoutMs: 30_000,
        },
      );
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(OWN_IMPOSSIBLE);
    }
    expect(OWN_IMPOSSIBLE).toMatch(/allow or deny a request, never rewrite it/);
    expect(OWN_IMPOSSIBLE).toMatch(/'policy --own'/);
    await expect(startAuthzPlugin(['--own'])).rejects.toThrow(OWN_IMPOSSIBLE);
  });
});
