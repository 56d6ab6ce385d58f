/**
 * A dockerserver in front of an in-process simulator for the HTTP edge's security tests, with its
 * log lines kept for assertions.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Message } from '../../src/actors/message.js';
import { type DockerServer, dockerserverStage } from '../../src/backends/dockerserver.js';
import { createSimulator, parseSimulatorArgs, type SimulatorInstance } from '../../src/backends/simulator.js';
import { systemClock } from '../../src/clock.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

/** A running front. */
export interface Front {
  server: DockerServer;
  sim: SimulatorInstance;
  /** The unix socket path. */
  sock: string;
  /** `unix://…` for the docker CLI. */
  host: string;
  /** Parsed pino lines the server logged (warn and above). */
  logs: { msg: string; level: number; [k: string]: unknown }[];
  stop(): Promise<void>;
}

/** Starts `dockerserver unix://<tmp> ...args` in front of a fresh simulator. */
export async function startFront(args: string[] = []): Promise<Front> {
  const dir = mkdtempSync(join(tmpdir(), 'sec-'));
  const sock = join(dir, 's.sock');
  const logs: Front['logs'] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line));
      cb();
    },
  });
  const sim = createSimulator(parseSimulatorArgs([]), { clock: systemClock });
  const downstream: Sender<Message> = {
    [kSender]: true,
    closed: false,
    send(m: Message) {
      void sim.handle(m);
      return undefined;
    },
    close() {},
  };
  const ctx = {
    name: 'dockerserver#sec',
    downstream,
    log: pino({ level: 'warn' }, sink),
    clock: systemClock,
  };
  const server = (await dockerserverStage.create([`unix://${sock}`, ...args], ctx)) as DockerServer;
  await server.start?.();
  return {
    server,
    sim,
    sock,
    host: `unix://${sock}`,
    logs,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
