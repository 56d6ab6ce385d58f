import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DockerResult } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient, type HealthState } from '../../src/backends/dockerclient.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import { ask, testContext } from './support.js';

const tick = () => new Promise((r) => setTimeout(r, 30));

describe('dockerclient health on a simulated clock (real, hung daemon)', () => {
  let d: Daemon;
  beforeAll(async () => {
    [d] = (await startDaemons(1, { image: false })) as [Daemon];
  });
  afterAll(async () => {
    d?.kill('SIGCONT');
    if (d) await stopDaemons([d]);
  });

  it('probe deadlines on the injected clock take a STOPped daemon healthy → degraded → down; CONT → healthy', async () => {
    const clock = new SimulatedClock();
    const dc = new DockerClient(
      parseEngineArgs([d.host]),
      { ...testContext(), clock },
      { probeTimeoutMs: 1_000 },
    );
    const seen: HealthState[] = [];
    try {
      await dc.start();
      dc.subscribe((s) => seen.push(s));
      for (let i = 0; i < 100 && dc.health !== 'healthy'; i++) await tick();
      expect(dc.health).toBe('healthy');
      d.kill('SIGSTOP');
      const realStart = Date.now();
      // Each step: let I/O and promise callbacks run, then move simulated time (probe period, deadlines).
      for (let i = 0; i < 40 && dc.health !== 'down' && dc.health !== 'backoff'; i++) {
        clock.advance(500);
        await tick();
      }
      expect(['down', 'backoff']).toContain(dc.health);
      expect(seen).toContain('degraded');
      // Simulated seconds passed, real time barely did: the deadlines ran on the injected clock.
      expect(Date.now() - realStart).toBeLessThan(5_000);
      // A call's deadline (default 30 s) also runs on the injected clock.
      const pending = ask(dc, { op: 'info' });
      await tick();
      clock.advance(30_000);
      expect((await pending).args).toMatchObject({ status: 504, code: ErrorCode.DeadlineExceeded });
    } finally {
      d.kill('SIGCONT');
    }
    for (let i = 0; i < 100 && dc.health !== 'healthy'; i++) {
      clock.advance(500);
      await tick();
    }
    expect(dc.health).toBe('healthy');
    const ping = await ask(dc, { op: 'ping' });
    expect((ping.args as DockerResult).headers?.['X-Swarm-Health']).toBe('healthy');
    await dc.stop();
  });
});
