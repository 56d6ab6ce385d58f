/**
 * docker-compose 1.29 with its default network and a named volume through `dockerserver → simulator`,
 * compared with the same project against a private real dockerd: `up -d`, `ps`, `logs`, `down -v`.
 * The volume carries a file from the writer service to the reader service on both sides.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runProcess, until } from '../harness/index.js';
import { DOCKER_COMPOSE } from '../harness/install.js';
import { normalise, type Pair, startPair } from './cli-sim.js';

const file = fileURLToPath(new URL('../clients/fixtures/compose-netvol.yml', import.meta.url));
const sorted = (s: string) => s.split('\n').sort().join('\n');

describe('docker-compose 1.29 through the simulator, vs a real dockerd', () => {
  let p: Pair;
  beforeAll(async () => {
    p = await startPair();
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  async function compose(host: string, args: string[]) {
    const r = await runProcess(DOCKER_COMPOSE, ['-p', 'netvol', '-f', file, ...args], {
      env: { DOCKER_HOST: host },
      timeoutMs: 90_000,
    });
    return { stdout: normalise(r.stdout), stderr: normalise(r.stderr), code: r.code };
  }

  async function both(args: string[]) {
    return { sim: await compose(p.sim, args), real: await compose(p.real, args) };
  }

  it('up -d, ps, logs, down -v: the same output; the volume carries data', { timeout: 240_000 }, async () => {
    const up = await both(['up', '-d']);
    expect(up.real.code, up.real.stderr).toBe(0);
    expect(sorted(up.sim.stderr)).toEqual(sorted(up.real.stderr));
    expect(up.sim.stderr).toContain('Creating network "netvol_default" with the default driver');
    expect(up.sim.stderr).toContain('Creating volume "netvol_data" with default driver');
    for (const host of [p.sim, p.real]) {
      await until(
        async () =>
          (await docker(['logs', 'netvol_reader_1'], { host })).stdout.includes('written-by-writer'),
        20_000,
        'the reader to print what the writer wrote',
        200,
      );
    }
    const ps = await both(['ps']);
    expect(ps.sim).toEqual(ps.real);
    const logs = await both(['logs', '--no-color']);
    const lines = (s: string) => sorted(s.replace(/ +\| /g, ' | '));
    expect(lines(logs.sim.stdout)).toEqual(lines(logs.real.stdout));
    expect(logs.sim.stdout).toContain('written-by-writer');
    const down = await both(['down', '-v', '-t', '1']);
    expect(down.real.code, down.real.stderr).toBe(0);
    expect(sorted(down.sim.stderr)).toEqual(sorted(down.real.stderr));
    expect(down.sim.stderr).toContain('Removing network netvol_default');
    expect(down.sim.stderr).toContain('Removing volume netvol_data');
    for (const host of [p.sim, p.real]) {
      expect((await docker(['volume', 'ls', '-q'], { host })).stdout).toBe('');
      expect((await docker(['network', 'ls', '-q', '--filter', 'name=netvol'], { host })).stdout).toBe('');
    }
  });
});
