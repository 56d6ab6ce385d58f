#!/usr/bin/env node
// swarmd launcher. An installed package runs its compiled build (dist/cli/main.js). A checkout (src/
// present) runs the TypeScript sources through tsx, a dev dependency, so what runs is always the code
// being edited, never a dist/ left behind by an earlier build or `npm pack`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli', 'main.ts');
const built = join(root, 'dist', 'cli', 'main.js');
let entry = built;
if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    entry = source;
  } catch (err) {
    if (!existsSync(built)) {
      process.stderr.write(
        `swarmd: this checkout has neither its dev dependencies (tsx) nor a build: run npm ci, or npm run build (${err.message})\n`,
      );
      process.exit(1);
    }
  }
} else if (!existsSync(built)) {
  process.stderr.write(
    `swarmd: ${built} is missing: this package was packed without its build (npm run build)\n`,
  );
  process.exit(1);
}
const { main } = await import(pathToFileURL(entry).href);
process.exit(await main(process.argv.slice(2)));
