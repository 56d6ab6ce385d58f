import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lexStage } from '../../src/backends/lexer.js';
import { ErrorCode } from '../../src/errors.js';

describe('lexStage', () => {
  it('keeps nested commands as single arguments', () => {
    expect(lexStage('aggregate "dockerclient unix:///a.sock" "dockerclient tcp://b:2375"')).toMatchObject({
      name: 'aggregate',
      args: ['dockerclient unix:///a.sock', 'dockerclient tcp://b:2375'],
    });
  });

  it('nests twice: a child command keeps its own quoted words for the next lexing', () => {
    const outer = lexStage(`aggregate "dockerclient 'unix:///tmp/a b.sock' --label \\"x=1\\"" simulator`);
    expect(outer.args).toEqual([`dockerclient 'unix:///tmp/a b.sock' --label "x=1"`, 'simulator']);
    expect(lexStage(outer.args[0] as string)).toMatchObject({
      name: 'dockerclient',
      args: ['unix:///tmp/a b.sock', '--label', 'x=1'],
    });
  });

  it('handles escapes, single quotes, variables and globs literally', () => {
    expect(lexStage(`exec sh -c 'echo $HOME' a\\ b node*`).args).toEqual([
      'sh',
      '-c',
      'echo $HOME',
      'a b',
      'node*',
    ]);
  });

  it('refuses empty stages and shell operators with the fix', () => {
    expect(() => lexStage('   ')).toThrow(/empty stage/);
    expect(() => lexStage('simulator | debug')).toThrow(/operator '\|'.*quote/);
    expect(() => lexStage('')).toThrowError(
      expect.objectContaining({
        code: ErrorCode.InvalidArgument,
        message: expect.stringMatching(/empty stage/),
      }),
    );
    expect(() => lexStage('simulator # note')).toThrow(/'#' starts a comment/);
  });

  // POSIX single quoting, as a user would type it. (shell-quote's own `quote` escapes a backtick
  // inside double quotes, which its parser then keeps: a quirk of that pair, not of POSIX shells.)
  const sq = (w: string) => `'${w.replaceAll("'", "'\\''")}'`;
  it('round-trips any list of single-quoted words', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ minLength: 1 }).filter((s) => !s.includes('\0')),
          { minLength: 1, maxLength: 6 },
        ),
        (words) => {
          const cmd = lexStage(['stage', ...words.map(sq)].join(' '));
          expect(cmd.args).toEqual(words);
        },
      ),
      { numRuns: 300 },
    );
  });
});
