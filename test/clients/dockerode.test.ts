/**
 * dockerode (npm; a second, independent Node implementation of the Engine API client) through
 * dockerserver → dockerclient → a private dockerd, compared with the same sequence run directly
 * against that dockerd. dockerode sends unversioned paths unless told a version, and its attach /
 * exec start use `Upgrade: tcp` hijacking while its logs use plain streamed responses.
 */
import { buffer } from 'node:stream/consumers';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demux } from '../dockerclient/support.js';
import { type Chain, normalise, startChain } from './support.js';

const IMG = 'busybox:local';
// The pauses keep the stdout/stderr interleaving the same on every run; the exit code is checked.
const CMD = ['sh', '-c', 'echo out-1; sleep 0.3; echo err-1 >&2; sleep 0.3; echo out-2; exit 5'];

/** An error from dockerode as the parts a caller uses. */
function errorParts(e: unknown) {
  const err = e as { statusCode?: number; json?: { message?: string } | null; message?: string };
  return { statusCode: err.statusCode, message: err.json?.message ?? err.message };
}

/** The whole sequence against one endpoint; returns everything a caller would look at, minus ids. */
async function sequence(socketPath: string, p: string, version?: string) {
  const docker = new Docker({ socketPath, ...(version ? { version } : {}) });
  const out: Record<string, unknown> = {};
  out.ping = String(await docker.ping());
  const v = await docker.version();
  out.version = { ApiVersion: v.ApiVersion, Version: v.Version, Os: v.Os };

  const c = await docker.createContainer({
    Image: IMG,
    Cmd: CMD,
    name: `${p}node`,
    Labels: { suite: p },
    HostConfig: { NetworkMode: 'none' },
  });
  // Attached (hijacked) before start: sees every byte and ends when the container exits.
  const attached = await c.attach({ stream: true, stdout: true, stderr: true, hijack: true });
  const attachedBytes = buffer(attached);
  // The same without hijacking: a plain POST whose response body is the raw stream.
  const plain = await c.attach({ stream: true, stdout: true, stderr: true, hijack: false });
  const plainBytes = buffer(plain);
  await c.start();
  // logs -f started while it runs: the chunked stream must end by itself when the container exits.
  const follow = (await c.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
  const followBytes = buffer(follow);
  out.wait = await c.wait();
  out.attached = demux(await attachedBytes);
  out.attachedPlain = demux(await plainBytes);
  out.followed = demux(await followBytes);
  out.logs = demux((await c.logs({ follow: false, stdout: true, stderr: true })) as unknown as Buffer);
  out.stdoutOnly = demux((await c.logs({ follow: false, stdout: true })) as unknown as Buffer);
  const info = await c.inspect();
  out.inspect = {
    Name: info.Name,
    Status: info.State.Status,
    ExitCode: info.State.ExitCode,
    Labels: info.Config.Labels,
  };
  const listed = await docker.listContainers({ all: true, filters: { label: [`suite=${p}`] } });
  out.listed = listed.map((x) => ({ Names: x.Names, State: x.State, Image: x.Image }));
  await c.remove();
  out.afterRemove = await c.inspect().then(
    () => 'still there',
    (e: unknown) => errorParts(e),
  );
  out.missing = await docker
    .getContainer(`nosuch-${p}x`)
    .inspect()
    .then(
      () => 'found?',
      (e: unknown) => errorParts(e),
    );
  out.startMissing = await docker
    .getContainer(`nosuch-${p}x`)
    .start()
    .then(
      () => 'started?',
      (e: unknown) => errorParts(e),
    );

  // exec in a running container, hijacked.
  const s = await docker.createContainer({
    Image: IMG,
    Cmd: ['sleep', '300'],
    name: `${p}sleeper`,
    HostConfig: { NetworkMode: 'none' },
  });
  await s.start();
  const ex = await s.exec({
    Cmd: ['sh', '-c', 'echo in-exec; echo exec-err >&2; exit 4'],
    AttachStdout: true,
    AttachStderr: true,
  });
  const exStream = await ex.start({ hijack: true, stdin: false });
  out.exec = demux(await buffer(exStream));
  const exInfo = await ex.inspect();
  out.execInspect = { ExitCode: exInfo.ExitCode, Running: exInfo.Running };
  await s.remove({ force: true });
  return JSON.parse(normalise(JSON.stringify(out), p)) as Record<string, unknown>;
}

describe('dockerode through the chain, vs direct', () => {
  let chain: Chain;
  const socket = (host: string) => host.slice('unix://'.length);
  beforeAll(async () => {
    chain = await startChain();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it.each([
    ['unversioned paths', undefined],
    ['pinned /v1.41 paths', 'v1.41'],
  ])(
    'create / attach / start / logs -f / wait / logs / remove / exec: %s',
    { timeout: 120_000 },
    async (_label, version) => {
      const tag = version ? 'v' : 'u';
      const direct = await sequence(socket(chain.direct), `dd${tag}-`, version);
      const before = chain.ops.length;
      const chained = await sequence(socket(chain.chained), `cc${tag}-`, version);
      expect(chained).toEqual(direct);
      const both = { stdout: 'out-1\nout-2\n', stderr: 'err-1\n' };
      const notFound = { statusCode: 404, message: 'No such container: nosuch-P-x' };
      // Also what dockerd really answers, so the chain and the daemon cannot agree on garbage.
      expect(direct).toEqual({
        ping: 'OK',
        version: expect.objectContaining({ ApiVersion: '1.41', Os: 'linux' }),
        wait: { Error: null, StatusCode: 5 },
        attached: both,
        attachedPlain: both,
        followed: both,
        logs: both,
        stdoutOnly: { stdout: 'out-1\nout-2\n', stderr: '' },
        inspect: { Name: '/P-node', Status: 'exited', ExitCode: 5, Labels: { suite: 'P-' } },
        listed: [{ Names: ['/P-node'], State: 'exited', Image: IMG }],
        afterRemove: { statusCode: 404, message: 'No such container: <ID>' },
        missing: notFound,
        startMissing: notFound,
        exec: { stdout: 'in-exec\n', stderr: 'exec-err\n' },
        execInspect: { ExitCode: 4, Running: false },
      });
      const ops = chain.ops.slice(before);
      for (const op of ['container.attach', 'container.logs', 'container.wait', 'exec.start', 'exec.inspect'])
        expect(ops, op).toContain(op);
    },
  );
});
