/**
 * docker-py (Debian's python3-docker 5.0.3, run by /usr/bin/python3) through dockerserver →
 * dockerclient → a private dockerd, compared with the same script run directly against that dockerd.
 * docker-py negotiates differently from the docker CLI: `from_env()` asks `GET /version` (unprefixed)
 * and then sends every call under `/v1.41/…`; a pinned version is used as the path prefix as is.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_PYTHON } from '../harness/install.js';
import { type Chain, normalise, run, startChain } from './support.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/sequence.py', import.meta.url));

describe('docker-py through the chain, vs direct', () => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  async function sequence(host: string, prefix: string) {
    const r = await run(SYSTEM_PYTHON, [SCRIPT, prefix], {
      DOCKER_HOST: host,
      DOCKER_CONFIG: chain.configDir,
    });
    return { stdout: normalise(r.stdout, prefix), stderr: normalise(r.stderr, prefix), code: r.code };
  }

  it('create / start / wait / logs / remove / run / exec and the errors give the same result', {
    timeout: 120_000,
  }, async () => {
    const direct = await sequence(chain.direct, 'dd-');
    const before = chain.ops.length;
    const chained = await sequence(chain.chained, 'cc-');
    expect(chained).toEqual(direct);
    expect(direct.code, direct.stderr).toBe(0);

    const out = JSON.parse(direct.stdout) as Record<string, unknown>;
    // Not just "the same": also what dockerd really says, so a chain and a daemon cannot agree on garbage.
    expect(out).toEqual({
      api_version: '1.41',
      ping: true,
      server_api: '1.41',
      pinned_ping: true,
      too_new: {
        status: 400,
        explanation: 'client version 1.43 is too new. Maximum supported API version is 1.41',
      },
      created_status: 'created',
      wait: { Error: null, StatusCode: 7 },
      state: { Status: 'exited', ExitCode: 7, Running: false },
      name: 'P-py',
      labels: { suite: 'P-' },
      logs_stdout: 'out-1\nout-2\n',
      logs_stderr: 'err-1\n',
      logs_both: 'out-1\nerr-1\nout-2\n',
      streamed: ['out-1\n', 'err-1\n', 'out-2\n'],
      listed: ['P-py'],
      after_remove: { status: 404, explanation: 'No such container: P-py' },
      missing: { status: 404, explanation: 'No such container: nosuch-P-x' },
      run: 'ran\n',
      run_failed: { exit_status: 2, stderr: 'bad\n' },
      exec: { exit_code: 4, stdout: 'in-exec\n', stderr: 'exec-err\n' },
    });

    // The chained run really went through the chain (the 400 for 1.43 is the edge's own and never
    // reaches the next stage).
    const ops = chain.ops.slice(before);
    for (const op of [
      'version',
      'container.create',
      'container.start',
      'container.wait',
      'container.logs',
      'container.remove',
      'container.exec',
      'exec.start',
      'exec.inspect',
    ]) {
      expect(ops, op).toContain(op);
    }
  });
});
