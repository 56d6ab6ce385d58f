#!/usr/bin/env node
// An exec stage in plain Node: `swarmd 'dockerserver unix:///tmp/s.sock' 'exec node examples/echo-stage.mjs'`.
//
// It speaks libchan over stdin/stdout, so NOTHING else may be written to stdout (no console.log):
// stdout is the wire. Diagnostics go to stderr, which swarmd logs.
//
// Answers:  get  → set {status: 200, body: {stage: 'echo', pid, args}}
//           ls   → set {status: 200, body: ['echo-a', 'echo-b']}
//           kill → exits at once with code 3 and no reply (to exercise the stage's crash handling)
//           anything else → error {code: SWARM_ERR_NOT_IMPLEMENTED, status: 501}
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// The library's sources through tsx (a devDependency) in a checkout, so this runs right after `npm ci`
// and always runs the code being edited; the compiled build (npm run build: dist/) when tsx is absent.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let base = join(root, 'dist');
let ext = '.js';
if (existsSync(join(root, 'src', 'libchan', 'index.ts'))) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    base = join(root, 'src');
    ext = '.ts';
  } catch {
    // no dev dependencies: use dist/
  }
}
const load = (p) => import(pathToFileURL(join(base, p + ext)).href);
const { Session } = await load('libchan/index');
const { streamWire } = await load('backends/link/stream-wire');

const session = new Session(streamWire(process.stdin, process.stdout, { transport: 'stdio' }), {
  role: 'server',
});
process.stderr.write(`echo-stage ${process.pid} ready\n`);

function answer(m) {
  switch (m.verb) {
    case 'get':
      return { verb: 'set', args: { status: 200, body: { stage: 'echo', pid: process.pid, args: m.args } } };
    case 'ls':
      return { verb: 'set', args: { status: 200, body: ['echo-a', 'echo-b'] } };
    case 'kill':
      process.stderr.write('echo-stage: asked to die\n');
      process.exit(3);
      break;
    default:
      return {
        verb: 'error',
        args: {
          message: `echo-stage: ${m.verb} is not implemented`,
          code: 'SWARM_ERR_NOT_IMPLEMENTED',
          status: 501,
        },
      };
  }
}

async function serve(channel) {
  for await (const m of channel) {
    m.stream?.destroy();
    if (!m.ret) continue;
    await m.ret.send(answer(m));
    m.ret.close();
  }
}

try {
  for await (const channel of session.channels()) serve(channel).catch((e) => process.stderr.write(`${e}\n`));
} catch (err) {
  process.stderr.write(`echo-stage: link ended: ${err.message}\n`);
}
// stdin ended (swarmd closed the session): exit cleanly.
process.exit(0);
