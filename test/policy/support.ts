/**
 * What the policy's real-daemon tests share: a plain JSON call straight to a daemon, containers in a
 * given state, the daemon's container and exec ids (to prove a denied request left nothing), and an
 * in-process `dockerserver → policy → dockerclient` chain.
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { type IncomingMessage, request } from 'node:http';
import { join } from 'node:path';
import { pino } from 'pino';
import { Chain } from '../../src/backends/chain.js';
import { systemClock } from '../../src/clock.js';

/** A JSON call on a unix socket; resolves status and parsed (or raw) body. */
export function api(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = data
      ? { 'Content-Type': 'application/json', 'Content-Length': data.length }
      : {};
    const r = request({ socketPath: socket, method, path, headers }, (m) => jsonAnswer(m, resolve));
    r.on('error', reject);
    r.end(data);
  });
}

/** Reads a whole answer and resolves its status and parsed (or raw, when not JSON) body. */
export function jsonAnswer(
  m: IncomingMessage,
  resolve: (answer: { status: number; body: unknown }) => void,
): void {
  const chunks: Buffer[] = [];
  m.on('data', (c: Buffer) => chunks.push(c));
  m.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    resolve({ status: m.statusCode ?? 0, body: parsed });
  });
}

/** A container on `socket` in the state asked for; resolves its id. */
export async function container(
  socket: string,
  state: 'created' | 'running' | 'exited',
  labels: Record<string, string> = {},
): Promise<string> {
  const cmd = state === 'exited' ? ['true'] : ['sleep', '60'];
  const c = await api(socket, 'POST', '/containers/create', {
    Image: 'busybox:local',
    Cmd: cmd,
    Labels: labels,
    HostConfig: { NetworkMode: 'none' },
  });
  if (c.status !== 201) throw new Error(`create failed: ${JSON.stringify(c.body)}`);
  const id = (c.body as { Id: string }).Id;
  if (state !== 'created') await api(socket, 'POST', `/containers/${id}/start`);
  if (state === 'exited') await api(socket, 'POST', `/containers/${id}/wait`);
  return id;
}

/** Every container id on the daemon, sorted. */
export async function containerIds(socket: string): Promise<string[]> {
  const r = await api(socket, 'GET', '/containers/json?all=1');
  return (r.body as { Id: string }[]).map((c) => c.Id).sort();
}

/** The exec ids a container has. */
export async function execIds(socket: string, id: string): Promise<string[]> {
  const r = await api(socket, 'GET', `/containers/${id}/json`);
  return ((r.body as { ExecIDs: string[] | null }).ExecIDs ?? []).slice().sort();
}

/** Every volume name on the daemon, sorted. */
export async function volumeNames(socket: string): Promise<string[]> {
  const r = await api(socket, 'GET', '/volumes');
  return ((r.body as { Volumes: { Name: string }[] | null }).Volumes ?? []).map((v) => v.Name).sort();
}

/** `dockerserver → policy <args> → dockerclient <daemon>` in this process; `socket` is the front door. */
export async function policyChain(
  daemonSocket: string,
  policyArgs: string,
): Promise<{ socket: string; chain: Chain }> {
  const socket = join(mkdtempSync('/tmp/swp-'), 's.sock');
  const chain = new Chain({ log: pino({ level: 'silent' }), clock: systemClock });
  await chain.start([
    `dockerserver unix://${socket}`,
    `policy ${policyArgs}`.trim(),
    `dockerclient unix://${daemonSocket}`,
  ]);
  return { socket, chain };
}
