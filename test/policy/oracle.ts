/**
 * Go's own `encoding/json` as the oracle for the policy's decoder: test/policy/go-oracle.go is built
 * with Debian's Go 1.19 (the Go dockerd 20.10 is built with; installed with apt-get when missing) and
 * decodes bodies into dockerd's create types, one line in, one line out.
 * @module
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('./go-oracle.go', import.meta.url));
const WORK = '/tmp/swarmd-policy-go';

function goBinary(): string {
  for (const p of ['/usr/lib/go-1.19/bin/go', '/usr/bin/go', '/usr/local/go/bin/go'])
    if (existsSync(p)) return p;
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', 'golang-go'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`apt-get install golang-go failed: ${r.stderr}`);
  return '/usr/bin/go';
}

/** What Go made of a body: the decoded wrapper re-encoded (exact names, no duplicates), or its error. */
export type OracleAnswer = { ok: Record<string, unknown> } | { err: string };

/** A running oracle. */
export class GoOracle {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #waiting: ((a: OracleAnswer) => void)[] = [];

  private constructor(bin: string) {
    this.#proc = spawn(bin, [], { stdio: 'pipe' });
    createInterface({ input: this.#proc.stdout }).on('line', (line) => {
      this.#waiting.shift()?.(JSON.parse(line) as OracleAnswer);
    });
  }

  /** Builds (once per machine) and starts the oracle. */
  static start(): GoOracle {
    mkdirSync(WORK, { recursive: true });
    const bin = `${WORK}/oracle`;
    const env = {
      ...process.env,
      HOME: WORK,
      GOCACHE: `${WORK}/cache`,
      GOPATH: `${WORK}/path`,
      GO111MODULE: 'off',
    };
    const r = spawnSync(goBinary(), ['build', '-o', bin, SOURCE], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`go build failed: ${r.stderr}`);
    return new GoOracle(bin);
  }

  /** Decodes `body` (bytes) with Go. */
  decode(body: Buffer): Promise<OracleAnswer> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#proc.stdin.write(`${body.toString('base64')}\n`);
    });
  }

  stop(): void {
    this.#proc.stdin.end();
    this.#proc.kill();
  }
}
