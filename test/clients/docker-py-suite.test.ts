/**
 * A peer's own test suite as the bar: docker-py 5.0.3's integration suite (395 tests) run against a
 * private dockerd directly and, at the same time, against a second private dockerd (each in a network
 * namespace of its own) through dockerserver → dockerclient. Every test that passes directly must pass through the chain. Tests that
 * fail both ways here do so for the test bed's reasons (no internet for pulls, plugins and registries;
 * `--bridge=none` for ports, MAC addresses and network stats; no credential helper).
 * A few of the suite's tests race dockerd itself (they start a container and read its output at once,
 * without waiting: `test_attach_no_stream` came back empty 10 times in 30 directly and 7 in 30 through the
 * chain): a test that passed directly but not through the chain is run again through the chain up to 3
 * times, alone; one that passes then is reported as flaky, one that never does fails this test.
 * Takes a few minutes (both runs in parallel on two daemons): see the measured time in the closing
 * summary it prints; `SKIP_DOCKER_PY_SUITE=1` leaves it out of a quick local run.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { dockerserverStage } from '../../src/backends/dockerserver.js';
import type { StageInstance } from '../../src/backends/stage.js';
import { senderTo } from '../dockerclient/cli-chain.js';
import { testContext } from '../dockerclient/support.js';
import { type Daemon, startDaemons, stopDaemons } from '../harness/index.js';
import {
  importSuiteImages,
  isXfail,
  type Outcome,
  runSuite,
  type SuiteResults,
  tally,
  xfailTests,
} from './docker-py-suite.js';

const SUITE_TIMEOUT_MS = 14 * 60_000;

describe.skipIf(process.env.SKIP_DOCKER_PY_SUITE === '1')(
  'docker-py 5.0.3 integration suite: direct vs through the chain',
  () => {
    let daemons: Daemon[] = [];
    let dc: DockerClient | undefined;
    let server: StageInstance | undefined;
    const ops: string[] = [];
    const host = `unix:///tmp/sw-dpy-chain-${process.pid}.sock`;

    beforeAll(async () => {
      // Two daemons, each in a network namespace of its own: the suite makes bridges with fixed
      // subnets and swarms, which two daemons on one host's network would fight over.
      daemons = await startDaemons(2, { ownNetwork: true });
      const [direct, behind] = daemons as [Daemon, Daemon];
      dc = new DockerClient(parseEngineArgs([behind.host]), testContext('dockerclient#dpy'));
      await dc.start();
      server = await dockerserverStage.create([host], {
        ...testContext('dockerserver#dpy'),
        downstream: senderTo(dc, ops),
      });
      await server.start?.();
      await Promise.all([
        importSuiteImages(direct.host, direct.dir),
        importSuiteImages(behind.host, behind.dir),
      ]);
    }, 180_000);
    afterAll(async () => {
      await server?.stop?.();
      await dc?.stop();
      await stopDaemons(daemons);
    });

    it('every test that passes directly passes through the chain', {
      timeout: SUITE_TIMEOUT_MS + 60_000,
    }, async () => {
      const started = Date.now();
      const [d, c] = await Promise.all([
        runSuite(daemons[0]!.host, SUITE_TIMEOUT_MS, '/tmp/docker-py-direct.xml'),
        runSuite(host, SUITE_TIMEOUT_MS, '/tmp/docker-py-chain.xml'),
      ]);
      // dockerd itself sometimes dies mid-suite (seen once in CI: the direct daemon crashed in
      // SwarmTest::test_update_node under load; every later test was "connection refused"). A
      // crashed daemon proves nothing about the chain either way: restart it and run again, on that
      // side, every test that did not pass there, so both sides are compared over the whole suite.
      const crashes = [
        ...(await rerunAfterCrash(daemons[0]!, daemons[0]!.host, d)),
        ...(await rerunAfterCrash(daemons[1]!, host, c)),
      ];
      const seconds = Math.round((Date.now() - started) / 1000);
      // docker-py's own xfail-marked tests pass or skip at random on either side: not compared.
      const xfail = xfailTests();
      const missed = [...d]
        .filter(([id, o]) => o === 'passed' && c.get(id) !== 'passed' && !isXfail(id, xfail))
        .map(([id]) => id);
      // Each one again, alone, through the chain (up to 3 times): a race of dockerd's passes some time.
      const flaky: string[] = [];
      const lost: string[] = [];
      for (const id of missed) {
        let passed = false;
        for (let i = 0; i < 3 && !passed; i++)
          passed = (await runSuite(host, 120_000, undefined, [id])).get(id) === 'passed';
        if (passed) flaky.push(id);
        else lost.push(`${id}: ${c.get(id)}`);
      }
      const gained = [...c].filter(([id, o]) => o === 'passed' && d.get(id) !== 'passed').map(([id]) => id);
      const summary = {
        seconds,
        direct: tally(d),
        chain: tally(c),
        lost,
        flaky,
        gained,
        crashes,
        failBoth: both(d, c, (o) => o === 'failed' || o === 'error'),
      };
      // The numbers for bench/RESULTS.md and the closing note.
      writeFileSync('/tmp/docker-py-compare.json', `${JSON.stringify(summary, null, 2)}\n`);
      console.log(
        `docker-py suite in ${seconds} s: direct ${JSON.stringify(summary.direct)}, chain ${JSON.stringify(summary.chain)}`,
      );
      expect(d.size).toBeGreaterThan(380);
      expect(tally(d).passed).toBeGreaterThan(300);
      expect(lost).toEqual([]);
      expect(ops.length).toBeGreaterThan(1000);
    });
  },
);

/**
 * When `daemon` died during a run against `host`, restarts it and runs every test of `results` that
 * did not pass again, alone on that side, merging the new outcomes in. Returns what was seen (the
 * daemon's last log lines), for the summary.
 */
async function rerunAfterCrash(daemon: Daemon, host: string, results: SuiteResults): Promise<string[]> {
  if (daemon.running) return [];
  const seen = `${daemon.name} died during the run; last log lines:\n${daemon.log().slice(-1500)}`;
  console.log(seen);
  // The crash seen twice in CI is swarmkit's (dockerd 20.10.24: "error creating cluster object: name
  // conflicts", then a nil pointer in Manager.becomeLeader), and its raft state on disk makes the
  // restarted daemon panic the same way while starting. docker-py's swarm tests make and leave their
  // own swarms, so the daemon starts outside any swarm, as it began the run.
  rmSync(join(daemon.dir, 'data', 'swarm'), { recursive: true, force: true });
  await daemon.restart();
  const again = [...results].filter(([, o]) => o !== 'passed').map(([id]) => id);
  if (again.length === 0) return [seen]; // pytest given no ids would run every test it finds
  for (const [id, o] of await runSuite(host, SUITE_TIMEOUT_MS, undefined, again)) results.set(id, o);
  return [seen];
}

/** Tests whose outcome satisfies `bad` on both sides. */
function both(d: SuiteResults, c: SuiteResults, bad: (o: Outcome) => boolean): string[] {
  return [...d].filter(([id, o]) => bad(o) && bad(c.get(id) ?? 'error')).map(([id]) => id);
}
