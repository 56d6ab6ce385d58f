/**
 * Runs every `bench/*.bench.ts` suite, each in a fresh Node process (so one suite's JIT state and heap
 * never colour another's), passing the command-line flags through.
 * `npm run bench -- --json` prints one JSON line per case.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2).filter((a) => a.endsWith('.bench.ts'));
const flags = process.argv.slice(2).filter((a) => !a.endsWith('.bench.ts'));
const suites = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.includes(f))
  .sort();
let failed = 0;
for (const suite of suites) {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, suite), ...flags], {
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${suite} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
