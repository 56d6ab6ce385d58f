/**
 * exec: runs an external program as a stage. The program speaks libchan over its stdin/stdout (the
 * stage opens one channel and sends every request on it, exactly as `remote` does over a socket);
 * its stderr goes to the log line by line. When the program exits, requests in flight get
 * SWARM_ERR_CONNECTION_LOST and the stage crashes, so the chain restarts it per its policy.
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Message } from '../actors/message.js';
import { ConnectionLostError, ErrorCode, isSwarmError, SwarmError } from '../errors.js';
import { Session } from '../libchan/index.js';
import { LinkForwarder } from './link/forwarder.js';
import { streamWire } from './link/stream-wire.js';
import type { StageContext, StageDefinition, StageInstance } from './stage.js';
import { isSupervised } from './stage-actor.js';

/** How long stop() waits for the program to exit after closing its stdin, before SIGKILL. */
const STOP_GRACE_MS = 2_000;
/** How long a lost link waits for the program's exit status before answering requests in flight. */
const EXIT_WAIT_MS = 1_000;

/** An exec stage instance (exported for tests: the child's pid). */
export interface ExecInstance extends StageInstance {
  readonly pid: number | undefined;
}

function createExec(args: string[], ctx: StageContext): ExecInstance {
  const [program, ...rest] = args;
  if (!program) {
    throw new SwarmError(ErrorCode.InvalidArgument, 'exec: missing program; usage: exec <program> [args…]');
  }
  const shown = [program, ...rest].join(' ');
  let child: ChildProcessWithoutNullStreams | undefined;
  let link: LinkForwarder | undefined;
  let exit: string | undefined;
  let stopping = false;

  const lost = (cause: Error) =>
    new ConnectionLostError(
      `stage ${ctx.name}: program "${shown}" ${exit ?? 'closed its stdout'} (${cause.message})`,
      { cause, details: { status: 502, stage: ctx.name, program } },
    );

  return {
    get pid() {
      return child?.pid;
    },
    describe: () => `running "${shown}" (pid ${child?.pid}) as a stage over its stdin/stdout`,
    async start() {
      const proc = spawn(program, rest, { stdio: ['pipe', 'pipe', 'pipe'] });
      await new Promise<void>((resolve, reject) => {
        proc.once('spawn', resolve);
        proc.once('error', (err) =>
          reject(new SwarmError(ErrorCode.InvalidArgument, `exec: cannot run "${shown}": ${err.message}`)),
        );
      });
      child = proc;
      createInterface({ input: proc.stderr }).on('line', (line) => ctx.log.info(`[${program}] ${line}`));
      const session = new Session(streamWire(proc.stdout, proc.stdin, { transport: 'exec', remote: shown }), {
        role: 'client',
      });
      const fwd = new LinkForwarder(session, session.newSendChannel<Message>(), lost);
      link = fwd;
      proc.once('exit', (code, signal) => {
        exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        ctx.log[stopping ? 'info' : 'error'](`program "${shown}" ${exit}`);
        session.destroy(new ConnectionLostError(`program ${exit}`));
        // Restart now rather than on the next request (which would otherwise be the one to fail).
        if (!stopping && isSupervised(ctx)) ctx.crash(lost(new ConnectionLostError(`program ${exit}`)));
      });
      void session.done.then((reason) => {
        const fail = () => fwd.failAll(reason ?? new ConnectionLostError('program closed the link'));
        if (exit || stopping) return fail();
        // stdout usually ends a moment before 'exit' fires: wait briefly so the error names the exit code.
        const timer = ctx.clock.setTimeout(fail, EXIT_WAIT_MS);
        proc.once('exit', () => {
          ctx.clock.clearTimeout(timer);
          fail();
        });
      });
    },
    async stop() {
      stopping = true;
      const proc = child;
      const fwd = link;
      link = undefined;
      if (!proc) return;
      fwd?.failAll(new ConnectionLostError('the exec stage is stopping'));
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      // Closing the session ends the program's stdin: a well-behaved program exits on EOF.
      void fwd?.session.close();
      const timer = ctx.clock.setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      ctx.clock.clearTimeout(timer);
    },
    handle(message: Message) {
      if (!link || exit) {
        // Throwing makes the supervisor answer this request and restart the stage (a fresh program).
        throw new ConnectionLostError(`stage ${ctx.name}: program "${shown}" ${exit ?? 'is not running'}`, {
          details: { status: 502, stage: ctx.name },
        });
      }
      return link.forward(message).catch((err: unknown) => {
        // The caller has its error reply already. A lost link means the program is gone: crash so
        // the supervisor restarts it; any other per-request failure is the caller's business only.
        if (isSwarmError(err, ErrorCode.ConnectionLost)) throw err;
      });
    },
  };
}

/** The exec stage definition. */
export const execStage: StageDefinition = {
  name: 'exec',
  summary: 'run an external program as a stage, speaking libchan over its stdin/stdout',
  usage: 'exec <program> [args…]',
  example: "swarmd 'dockerserver unix:///tmp/s.sock' 'exec node examples/echo-stage.mjs'",
  help:
    'Starts <program> and sends every request to it as libchan messages over its stdin; replies come back on its stdout (see examples/echo-stage.mjs). ' +
    "The program's stderr is logged. If it exits, requests in flight get SWARM_ERR_CONNECTION_LOST (status 502) and the stage is restarted per the chain's policy. " +
    `On stop its stdin is closed; it is killed if still running ${STOP_GRACE_MS} ms later.`,
  create: createExec,
};
