/**
 * Helpers for dockerclient tests: a stage context, and `ask` = handle() + the front end's one-shot
 * reply collector.
 * @module
 */
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import type { Message } from '../../src/actors/message.js';
import type { DockerArgs } from '../../src/backends/docker/api.js';
import { awaitReply } from '../../src/backends/docker/http-reply.js';
import type { DockerClient } from '../../src/backends/dockerclient.js';
import type { StageContext } from '../../src/backends/stage.js';
import { systemClock } from '../../src/clock.js';

/** A context for a stage under test. */
export function testContext(name = 'dockerclient#test'): StageContext {
  return { name, downstream: undefined, log: pino({ level: 'silent' }), clock: systemClock };
}

/** Sends one request through `handle` and returns the reply message (throws when none came). */
export async function ask(
  dc: DockerClient,
  args: Partial<DockerArgs> & Pick<DockerArgs, 'op'>,
  stream?: Duplex,
): Promise<Message> {
  const waiter = awaitReply(systemClock, 60_000);
  const msg: Message = {
    verb: 'get',
    args: { query: {}, ...args },
    ret: waiter.sender,
    ...(stream ? { stream } : {}),
  };
  await dc.handle(msg);
  const out = await waiter.outcome;
  if (out.kind !== 'reply') throw new Error(`no reply: ${out.kind}`);
  return out.message;
}

/** Payloads of docker's multiplexed stream frames, per stream id (1 stdout, 2 stderr). */
export function demux(buf: Buffer): { stdout: string; stderr: string } {
  const out = { stdout: '', stderr: '' };
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    const text = buf.subarray(i + 8, i + 8 + len).toString();
    if (buf[i] === 2) out.stderr += text;
    else out.stdout += text;
    i += 8 + len;
  }
  return out;
}
