/**
 * Test helpers for dockerserver: a test-only responder stage (answers ops from a handler table, for
 * edge cases a real daemon can't produce on demand), a server launcher, the real docker CLI runner
 * and a raw node:http client.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pino } from 'pino';
import type { Message, Verb } from '../../src/actors/message.js';
import type { DockerArgs, DockerOp } from '../../src/backends/docker/api.js';
import { unmodelled } from '../../src/backends/docker/unmodelled.js';
import { type DockerServer, dockerserverStage } from '../../src/backends/dockerserver.js';
import type { Clock } from '../../src/clock.js';
import { systemClock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

/** The real docker CLI under test. */
export const DOCKER = '/usr/local/bin/docker';

/** Handles one request in the responder. */
export type OpHandler = (m: Message<DockerArgs>) => void | Promise<void>;

/** A responder stage's address plus what it received. */
export interface Responder extends Sender<Message> {
  received: Message<DockerArgs>[];
}

/** Answers `m` with one reply and closes its reply channel. */
export function reply(m: Message, verb: Verb, args: unknown, stream?: Duplex): void {
  const out: Message = { verb, args };
  if (stream) out.stream = stream;
  void m.ret?.send(out);
  m.ret?.close();
}

/** A test-only stage: ping answers with `apiVersion`; other ops go to `handlers`, else {@link unmodelled}'s 404/501. */
export function responder(handlers: Partial<Record<DockerOp, OpHandler>>, apiVersion = '1.41'): Responder {
  const received: Message<DockerArgs>[] = [];
  return {
    [kSender]: true,
    closed: false,
    received,
    close() {},
    send(message: Message) {
      const m = message as Message<DockerArgs>;
      received.push(m);
      const h = handlers[m.args.op];
      if (h) void h(m);
      else if (m.args.op === 'ping') reply(m, 'set', { status: 200, headers: { 'Api-Version': apiVersion } });
      // Like any stage that models part of the API (the simulator): the route table says 404 or 501.
      else reply(m, 'error', unmodelled(m.args, 'responder'));
      return undefined;
    },
  };
}

/** A private temp dir removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'dsrv-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Builds and starts a dockerserver in front of `downstream`. */
export async function startServer(
  downstream: Sender<Message> | undefined,
  args: string[],
  clock: Clock = systemClock,
): Promise<DockerServer> {
  const ctx = { name: 'dockerserver#test', downstream, log: pino({ level: 'silent' }), clock };
  const server = (await dockerserverStage.create(args, ctx)) as DockerServer;
  await server.start?.();
  return server;
}

/** What a docker CLI run produced. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the docker CLI against `host` with an isolated config dir; kills it after `timeoutMs`. */
export function docker(host: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<CliResult>((resolve, reject) => {
    const child = spawn(DOCKER, ['-H', host, ...args], {
      env: { PATH: process.env.PATH, HOME: tmpdir(), DOCKER_CONFIG: join(tmpdir(), 'dsrv-docker-config') },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** A raw HTTP exchange's result. */
export interface RawResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One node:http request over a unix socket. */
export function raw(
  socketPath: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers }, (res) => {
      text(res).then((body) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }), reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
