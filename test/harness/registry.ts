/**
 * A private image registry for push/pull tests (no internet here): Debian's `docker-registry` (the
 * distribution registry 2.8) run as a plain process on `127.0.0.1:<free port>`, storing into a folder
 * of its own. dockerd treats registries on 127.0.0.0/8 as insecure (plain HTTP) by default, so the
 * private daemons push to and pull from it with no extra flags. Stopped by its pid, never by name.
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort } from './daemons.js';
import { ensureDockerInstalled, REGISTRY_BIN } from './install.js';
import { startServiceProcess } from './service-process.js';

/** A running private registry. */
export interface Registry {
  /** `127.0.0.1:<port>`: the prefix of image names pushed to it (`127.0.0.1:P/name:tag`). */
  readonly address: string;
  /** Its folder (config, storage, log). */
  readonly dir: string;
  /** The registry's log so far (for failure messages). */
  log(): string;
  /** Stops it (TERM) and removes its folder. */
  stop(): Promise<void>;
}

/** One `GET /v2/` on the registry: true once it answers 200 (the API base the daemons probe first). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', timeout: 1_000, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Starts a registry on a free loopback port; resolves once `/v2/` answers. Installs the package first if missing. */
export async function startRegistry(): Promise<Registry> {
  ensureDockerInstalled();
  const dir = mkdtempSync('/tmp/sw-reg-');
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const { log, stop } = await startServiceProcess({
    bin: REGISTRY_BIN,
    args: ['serve', config],
    dir,
    label: `docker-registry on 127.0.0.1:${port}`,
    readyMs: 15_000,
    ready: () => answers(port),
  });
  return { address: `127.0.0.1:${port}`, dir, log, stop };
}
