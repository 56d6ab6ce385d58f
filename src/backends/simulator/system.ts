/**
 * The engine-wide answers: `/version`, `/info` and `/system/df`, shaped like dockerd 20.10's.
 * @module
 */
import type { Engine } from './engine.js';
import { imageRow } from './images.js';

/** The dockerd version the simulator impersonates. */
export const SERVER_VERSION = '20.10.24';
/** The API version it speaks. */
export const API_VERSION = '1.41';

/** `GET /version`. */
export function versionBody(): Record<string, unknown> {
  const details = {
    ApiVersion: API_VERSION,
    Arch: 'amd64',
    BuildTime: '2023-05-18T08:38:34.000000000+00:00',
    Experimental: 'false',
    GitCommit: '5d6db84',
    GoVersion: 'go1.19.8',
    KernelVersion: '6.1.0-simulated',
    MinAPIVersion: '1.12',
    Os: 'linux',
  };
  return {
    Platform: { Name: 'libswarm simulator' },
    Components: [
      { Name: 'Engine', Version: SERVER_VERSION, Details: details },
      { Name: 'containerd', Version: '1.6.20', Details: { GitCommit: 'simulated' } },
      { Name: 'runc', Version: '1.1.5', Details: { GitCommit: 'simulated' } },
    ],
    Version: SERVER_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: '1.12',
    GitCommit: details.GitCommit,
    GoVersion: details.GoVersion,
    Os: 'linux',
    Arch: 'amd64',
    KernelVersion: details.KernelVersion,
    BuildTime: details.BuildTime,
  };
}

/** `GET /info`: Name is the engine's name; Labels its `--label`s. */
export function infoBody(engine: Engine): Record<string, unknown> {
  const counts = engine.counts();
  return {
    ID: engine.id,
    Containers: counts.total,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: engine.images.all.length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Log: ['json-file'] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    IPv4Forwarding: true,
    Debug: false,
    NFd: 24,
    NGoroutines: 34,
    SystemTime: new Date(engine.wall.now()).toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'systemd',
    CgroupVersion: '2',
    NEventsListener: engine.events.subscribers,
    KernelVersion: '6.1.0-simulated',
    OperatingSystem: 'libswarm simulator',
    OSVersion: '',
    OSType: 'linux',
    Architecture: 'x86_64',
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] },
    NCPU: 4,
    MemTotal: 8_344_141_824,
    DockerRootDir: '/var/lib/docker',
    Name: engine.name,
    Labels: engine.labels,
    ExperimentalBuild: false,
    ServerVersion: SERVER_VERSION,
    Runtimes: { runc: { path: 'runc' } },
    DefaultRuntime: 'runc',
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: false,
    Isolation: '',
    InitBinary: 'docker-init',
    SecurityOptions: ['name=seccomp,profile=default', 'name=cgroupns'],
    Warnings: null,
  };
}

/** `GET /system/df`. */
export function diskUsageBody(engine: Engine): Record<string, unknown> {
  const containers = engine.containers.newestFirst();
  const images = engine.images.all.map((i) => ({
    ...imageRow(i, containers.filter((c) => c.image === i).length),
    SharedSize: 0,
  }));
  return {
    LayersSize: engine.images.all.reduce((n, i) => n + i.size, 0),
    Images: images,
    Containers: containers.map((c) => ({
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.config.Image,
      SizeRw: 0,
      SizeRootFs: c.image.size,
      State: c.status,
    })),
    Volumes: [],
    BuildCache: null,
    BuilderSize: 0,
  };
}
