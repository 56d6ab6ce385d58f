import { describe, expect, it } from 'vitest';
import { parseSimulatorArgs } from '../../src/backends/simulator.js';
import { ErrorCode } from '../../src/errors.js';
import { thrownMessage } from '../thrown.js';

/** The usage error `fn` throws. */
const usage = (fn: () => unknown) => thrownMessage(fn, ErrorCode.InvalidArgument);

describe('simulator arguments (node:util parseArgs)', () => {
  it('reads the name, repeated labels and the seed', () => {
    expect(parseSimulatorArgs([])).toEqual({ name: 'simulator', labels: [], seed: 0 });
    expect(parseSimulatorArgs(['n1', '--label', 'a=b', '--label=c=d', '--seed', '3'])).toEqual({
      name: 'n1',
      labels: ['a=b', 'c=d'],
      seed: 3,
    });
  });

  it('refuses bad input with a usage error naming the stage and the fix', () => {
    expect(usage(() => parseSimulatorArgs(['--bogus']))).toBe(
      'simulator: unknown option --bogus; options: --label k=v, --seed N',
    );
    expect(usage(() => parseSimulatorArgs(['-v']))).toMatch(/^simulator: unknown option -v;/);
    expect(usage(() => parseSimulatorArgs(['--seed']))).toMatch(/^simulator: --seed needs a value/);
    expect(usage(() => parseSimulatorArgs(['--seed', '1.5']))).toBe(
      'simulator: --seed wants a count 0..100000, got "1.5"',
    );
    expect(usage(() => parseSimulatorArgs(['--label', 'nokv']))).toBe(
      'simulator: --label wants key=value, got "nokv"',
    );
    expect(usage(() => parseSimulatorArgs(['a', 'b']))).toBe(
      'simulator: one stage is one engine; got 2 names. For several engines use: aggregate "simulator a" "simulator b"',
    );
    expect(usage(() => parseSimulatorArgs(['bad name']))).toMatch(/must be a hostname-like word/);
  });
});
