import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_OP_DEADLINE_MS,
  parseAggregateArgs,
} from '../../src/backends/aggregate/args.js';
import { ErrorCode } from '../../src/errors.js';
import { thrownMessage } from '../thrown.js';

/** The usage error `fn` throws. */
const usage = (fn: () => unknown) => thrownMessage(fn, ErrorCode.InvalidArgument);

describe('aggregate arguments (node:util parseArgs)', () => {
  it('reads child commands, names, and every flag in both spellings', () => {
    expect(
      parseAggregateArgs([
        'simulator a',
        'n2=simulator b',
        '--strategy',
        'binpack',
        '--deadline=500',
        '--op-deadline',
        '9000',
      ]),
    ).toEqual({
      nodes: [
        { name: 'node1', command: 'simulator a' },
        { name: 'n2', command: 'simulator b' },
      ],
      strategy: 'binpack',
      deadline: 500,
      opDeadline: 9000,
    });
    expect(parseAggregateArgs(['--nodes-file', '/etc/nodes'])).toEqual({
      nodes: [],
      strategy: 'spread',
      deadline: DEFAULT_DEADLINE_MS,
      opDeadline: DEFAULT_OP_DEADLINE_MS,
      nodesFile: '/etc/nodes',
    });
  });

  it('refuses bad input with a usage error naming the stage and the fix', () => {
    expect(usage(() => parseAggregateArgs(['simulator a', '--bogus']))).toBe(
      'aggregate: unknown option --bogus; options: --strategy spread|binpack|random, --deadline ms, --op-deadline ms, --nodes-file F',
    );
    expect(usage(() => parseAggregateArgs(['simulator a', '-x']))).toMatch(/^aggregate: unknown option -x;/);
    expect(usage(() => parseAggregateArgs(['simulator a', '--strategy']))).toMatch(
      /^aggregate: --strategy needs a value/,
    );
    expect(usage(() => parseAggregateArgs(['simulator a', '--strategy', 'best']))).toBe(
      'aggregate: unknown strategy "best"; use spread, binpack, random',
    );
    expect(usage(() => parseAggregateArgs(['simulator a', '--deadline=-5']))).toBe(
      'aggregate: --deadline takes a positive number of milliseconds',
    );
    expect(usage(() => parseAggregateArgs(['simulator a', '--op-deadline', 'soon']))).toBe(
      'aggregate: --op-deadline takes a positive number of milliseconds',
    );
    expect(usage(() => parseAggregateArgs([]))).toMatch(/give at least one child command/);
    expect(usage(() => parseAggregateArgs(['x=simulator a', 'x=simulator b']))).toBe(
      'aggregate: node name x is used twice',
    );
  });
});
