/**
 * The private-dockerd test bed: one import for tests. See test/harness/README.md.
 * @module
 */

export {
  type Daemon,
  type DaemonOptions,
  freePort,
  pingSocket,
  startDaemons,
  stopDaemons,
} from './daemons.js';
export {
  clientEnv,
  type DockerRunOptions,
  type DockerRunResult,
  docker,
  dockerConfigDir,
  type RunOptions,
  runProcess,
} from './docker-cli.js';
export { DOCKER_CLI, ensureDockerInstalled } from './install.js';
export { dockerLive, dockerTty, type LiveCli, type TtyCli } from './live-cli.js';
export { connectionsOn, connectionsTo } from './sockets.js';
export { type Sshd, startSshd } from './sshd.js';
export { REPO_BIN, type SwarmdOptions, type SwarmdProcess, startSwarmd } from './swarmd.js';
export { CLIENT_CN, makeTlsMaterial, sharedTlsPems, type TlsMaterial, type TlsPems } from './tls.js';
export { type Held, until } from './until.js';
