/**
 * The chain swarmd runs with no stage arguments: a Docker endpoint on a per-user unix socket, in
 * front of the local Docker daemon if one answers, otherwise in front of the built-in simulator.
 * @module
 */
import { request } from 'node:http';
import { defaultSocketPath } from '../backends/docker/http-listen.js';

/** The conventional local Docker socket. */
export const LOCAL_DOCKER_SOCKET = '/var/run/docker.sock';

/** True when a Docker daemon answers `GET /_ping` on `socketPath` within `timeoutMs`. */
export function dockerAnswers(socketPath: string, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** The stage arguments of the default chain, and the socket clients should use. */
export async function defaultChain(): Promise<{ stages: string[]; socket: string; backend: string }> {
  const socket = defaultSocketPath();
  const local = await dockerAnswers(LOCAL_DOCKER_SOCKET);
  const backend = local ? `dockerclient unix://${LOCAL_DOCKER_SOCKET}` : 'simulator';
  return { stages: [`dockerserver unix://${socket}`, backend], socket, backend };
}
