/**
 * swarmd's help, list and version texts, built from the stage registry so they can't drift from it.
 * @module
 */
import { createRequire } from 'node:module';
import { STAGES } from '../backends/registry.js';

/** The package version. */
export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

/** `swarmd --list`: one stage a line with its summary. */
export function listText(): string {
  const width = Math.max(...STAGES.map((s) => s.name.length));
  return `${STAGES.map((s) => `${s.name.padEnd(width)}  ${s.summary}`).join('\n')}\n`;
}

/** `swarmd --help`. */
export function helpText(): string {
  const stages = STAGES.map((s) => {
    const lines = [`  ${s.usage}`, `      ${s.summary}`];
    if (s.help) lines.push(...s.help.split('\n').map((l) => `      ${l}`));
    lines.push(`      example: ${s.example}`);
    return lines.join('\n');
  }).join('\n\n');
  return `swarmd ${version()} — compose Docker services like unix pipes

Usage:
  swarmd [options] '<stage> [args…]' ['<stage> [args…]' …]

Each argument is one stage, split shell-style (quote nested commands). Requests enter at the first
stage and flow right; each stage may answer, rewrite, fan out or forward them to the next. A front
end (dockerserver, listen) comes first, a stage that answers everything itself (simulator,
dockerclient, aggregate, remote, exec) comes last; other orders are refused.
A stage may also be a module path (./stamp.mjs, ../x.js, /abs/x.mjs; relative to the current
directory) whose default export is defineStage({...}) from 'libswarm-ts'; its arguments follow:
  swarmd 'dockerserver unix:///tmp/s.sock' './stamp.mjs team=blue' 'simulator n1'
With no stages, swarmd serves the Docker API on a per-user unix socket and forwards to the local
Docker daemon if one answers at /var/run/docker.sock, otherwise to the built-in simulator.

Options:
  -h, --help             this text
  -v, --version          print the version
  -l, --list             list the stages
      --log-level LEVEL  trace | debug | info | warn | error | silent (default info; logs go to stderr)
      --admin URL        serve the admin page (live supervision tree, health, history), /metrics
                         (Prometheus), /api/tree, /healthz and /readyz on http://127.0.0.1:PORT,
                         https://host:PORT or unix:///path (default off). Off loopback it needs
                         --admin-token-file F (or --admin-token T, ≥ 16 bytes); with https://
                         also --admin-tlscert F --admin-tlskey F. Probes need no token.

Stages:
${stages}

Exit codes:
  0  stopped by SIGINT/SIGTERM (or --help/--version/--list)
  1  a stage could not start, gave up after too many restarts, or a second SIGINT/SIGTERM
     cut the orderly stop short
  2  usage error (unknown option or stage, stages out of order, a stage module that does not
     load, bad stage arguments)
`;
}
