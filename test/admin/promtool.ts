/**
 * `/metrics` as the admin tests read it: fetched, checked by `promtool check metrics` (installed by the
 * harness from Debian's prometheus package), then parsed into `name{labels}` → value.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';

/** Fetches `${baseUrl}/metrics`, writes it to `file`, asserts promtool finds nothing wrong, parses it. */
export async function scrapeChecked(baseUrl: string, file: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  writeFileSync(file, text);
  const check = spawnSync('sh', ['-c', `promtool check metrics < ${file}`], { encoding: 'utf8' });
  expect(check.stdout + check.stderr).toBe('');
  expect(check.status).toBe(0);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}
