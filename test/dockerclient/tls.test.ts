import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DockerResult, resultBody } from '../../src/backends/docker/api.js';
import { parseEngineArgs } from '../../src/backends/docker/engine-address.js';
import { EngineClient } from '../../src/backends/docker/engine-client.js';
import { DockerClient } from '../../src/backends/dockerclient.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import {
  type Daemon,
  makeTlsMaterial,
  startDaemons,
  stopDaemons,
  type TlsMaterial,
} from '../harness/index.js';
import { ask, testContext } from './support.js';

describe('dockerclient over TLS (--tlsverify) to a private dockerd', () => {
  let d: Daemon;
  let tls: TlsMaterial;
  beforeAll(async () => {
    tls = makeTlsMaterial();
    [d] = (await startDaemons(1, {
      tcp: true,
      image: false,
      extraArgs: [
        '--tlsverify',
        '--tlscacert',
        tls.ca,
        '--tlscert',
        tls.serverCert,
        '--tlskey',
        tls.serverKey,
      ],
    })) as [Daemon];
  });
  afterAll(async () => {
    if (d) await stopDaemons([d]);
    if (tls) rmSync(tls.dir, { recursive: true, force: true });
  });

  it('talks TLS with explicit files and with DOCKER_CERT_PATH defaults', async () => {
    const explicit = parseEngineArgs([
      d.tcp!,
      '--tlsverify',
      '--tlscacert',
      tls.ca,
      '--tlscert',
      tls.clientCert,
      '--tlskey',
      tls.clientKey,
    ]);
    const dc = new DockerClient(explicit, testContext());
    const v = await ask(dc, { op: 'version' });
    expect(resultBody(v.args as DockerResult)).toMatchObject({ ApiVersion: '1.41' });
    await dc.stop();
    const viaEnv = parseEngineArgs([d.tcp!, '--tlsverify'], { DOCKER_CERT_PATH: tls.dir });
    const dc2 = new DockerClient(viaEnv, testContext());
    expect((await ask(dc2, { op: 'ping' })).verb).toBe('set');
    await dc2.stop();
  });

  it('fails cleanly without a client certificate, and plain http is refused', async () => {
    const { ca } = parseEngineArgs([d.tcp!, '--tlsverify', '--tlscacert', tls.ca], {
      DOCKER_CERT_PATH: '/nonexistent',
    }).tls!;
    const noCert = new EngineClient({ address: d.tcp!, tls: { ca, verify: true }, timeoutMs: 5_000 });
    const err = await noCert.version().catch((e: unknown) => e);
    expect(isSwarmError(err)).toBe(true);
    await noCert.close();
    const plain = new DockerClient(parseEngineArgs([d.tcp!]), testContext());
    const r = await ask(plain, { op: 'version' });
    // dockerd answers plain HTTP on a TLS port with a 400 ("Client sent an HTTP request to an HTTPS server")
    expect(r.verb).toBe('error');
    await plain.stop();
  });

  it('a server certificate from another CA is rejected with --tlsverify', async () => {
    const other = makeTlsMaterial();
    try {
      const dc = new DockerClient(
        parseEngineArgs([
          d.tcp!,
          '--tlsverify',
          '--tlscacert',
          other.ca,
          '--tlscert',
          tls.clientCert,
          '--tlskey',
          tls.clientKey,
        ]),
        testContext(),
      );
      const r = await ask(dc, { op: 'ping' });
      expect(r.verb).toBe('error');
      expect(r.args).toMatchObject({ code: ErrorCode.ConnectionLost, status: 502 });
      await dc.stop();
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });
});
