/**
 * swarmd: parse options and stages, start the chain, report each stage coming up, stop in order on
 * SIGINT/SIGTERM. Exit codes: 0 clean stop, 1 a stage failed to start or gave up, 2 usage error.
 * @module
 */
import { pino } from 'pino';
import { Chain } from '../backends/chain.js';
import { systemClock } from '../clock.js';
import { ErrorCode, isSwarmError } from '../errors.js';
import { type Admin, type AdminConfig, RequestStats, startAdmin, takeAdminArgs } from './admin/index.js';
import { runAuthzPlugin } from './authz-plugin.js';
import { defaultChain } from './default-chain.js';
import { helpText, listText, version } from './help.js';
import { parseCli } from './options.js';

/** Exit codes, documented in `swarmd --help`. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;

/** Where swarmd writes its own lines (stdout for answers, stderr for progress). */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * Runs swarmd with `argv` (without node and script); resolves with the process exit code. `exit` is
 * called only for a second SIGINT/SIGTERM while the stages are stopping (exit at once, code 1).
 */
export async function main(
  argv: string[],
  out: TextSink = process.stdout,
  err: TextSink = process.stderr,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<number> {
  // `swarmd authz-plugin …`: the policy as dockerd's authorization plugin, not a chain.
  if (argv[0] === 'authz-plugin') return runAuthzPlugin(argv.slice(1), err);
  let options: ReturnType<typeof parseCli>;
  let adminConfig: AdminConfig | undefined;
  try {
    const taken = takeAdminArgs(argv);
    adminConfig = taken.admin;
    options = parseCli(taken.rest);
  } catch (e) {
    err.write(`swarmd: ${(e as Error).message}\n`);
    return ExitCode.Usage;
  }
  const answers = { help: helpText, version: () => `swarmd ${version()}\n`, list: listText };
  if (options.action !== 'run') {
    out.write(answers[options.action]());
    return ExitCode.Ok;
  }

  const log = pino({ level: options.logLevel, base: undefined }, pino.destination(2));
  let stages = options.stages;
  let dockerHost: string | undefined;
  if (stages.length === 0) {
    const chosen = await defaultChain();
    stages = chosen.stages;
    dockerHost = `unix://${chosen.socket}`;
    err.write(`swarmd: no stages given; serving the Docker API in front of ${chosen.backend}\n`);
  }

  let failed: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    failed = resolve;
  });
  // Handlers go in before the stages start, so Ctrl-C during a slow start still stops what is up.
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      err.write(`swarmd: ${signal} again: exiting without waiting for the stages\n`);
      exit(ExitCode.Failure);
      return;
    }
    signalled = signal;
    err.write(`swarmd: ${signal}: stopping stages in order (send it again to exit at once)\n`);
    failed(ExitCode.Ok);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const detach = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  // --admin: every stage's requests are counted and timed (RequestStats); off, nothing is wrapped.
  const stats = adminConfig ? new RequestStats() : undefined;
  const chain = new Chain({
    log,
    clock: systemClock,
    observer: stats?.observer,
    onStageUp: (stage, description) => err.write(`swarmd: stage ${stage.name} up: ${description}\n`),
    onStageFailed: (stage, e) => {
      err.write(`swarmd: stage ${stage.name} gave up: ${e.message}\n`);
      failed(ExitCode.Failure);
    },
  });
  try {
    await chain.start(stages);
  } catch (e) {
    detach();
    err.write(`swarmd: ${(e as Error).message}\n`);
    return isSwarmError(e, ErrorCode.InvalidArgument) ? ExitCode.Usage : ExitCode.Failure;
  }
  let admin: Admin | undefined;
  if (adminConfig && stats) {
    try {
      admin = await startAdmin({ config: adminConfig, chain, stats, clock: systemClock, log });
    } catch (e) {
      detach();
      await chain.stop();
      err.write(`swarmd: admin server could not start: ${(e as Error).message}\n`);
      return ExitCode.Failure;
    }
    err.write(`swarmd: admin page on ${admin.url}\n`);
  }
  err.write(
    `swarmd: ${chain.stages.length} stage${chain.stages.length === 1 ? '' : 's'} running; Ctrl-C stops\n`,
  );
  if (dockerHost) out.write(`export DOCKER_HOST=${dockerHost}\n`);

  const code = await stopped;
  await admin?.close();
  await chain.stop();
  detach();
  err.write('swarmd: stopped\n');
  return code;
}

// Run when executed directly (tsx src/cli/main.ts or bin/swarmd.js), not when imported by tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
