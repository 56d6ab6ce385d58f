/**
 * A simulated container: its configuration as created, its state (dockerd's State fields), its
 * process while it runs, and the streams watching it (attach, logs -f, wait). Plain data: the engine
 * owns the transitions.
 * @module
 */
import type { PassThrough } from 'node:stream';
import type { Tree } from './fs.js';
import type { SimImage } from './images.js';
import type { SimEndpoint } from './networks.js';
import type { SimProcess } from './process.js';
import { StdinQueue } from './stdin.js';
import type { SimMount } from './volumes.js';

/** dockerd's state strings (`State.Status`, the `State` column of lists). */
export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

/** Every valid `status` filter value. */
export const STATUSES: ReadonlySet<string> = new Set<ContainerStatus>([
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
]);

/** The container's `Config` as dockerd reports it after create. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  ExposedPorts?: Record<string, object>;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  Volumes: Record<string, object> | null;
  WorkingDir: string;
  Entrypoint: string[] | null;
  OnBuild: null;
  Labels: Record<string, string>;
  StopSignal?: string;
  StopTimeout?: number;
}

/** One line (or chunk) of output, kept for `logs` and `attach?logs=1`. */
export interface LogEntry {
  stream: 1 | 2;
  data: Buffer;
  /** Wall ms. */
  time: number;
}

/** An attach stream's output end and which streams it wants. */
export interface Attachment {
  out: PassThrough;
  stdout: boolean;
  stderr: boolean;
  /** Output as it is, never multiplexed (a websocket attach: dockerd's MuxStreams false). */
  raw?: boolean;
}

/** A `logs --follow` stream. */
export interface LogFollower extends Attachment {
  timestamps: boolean;
}

/** A pending `wait`. */
export interface Waiter {
  condition: 'not-running' | 'next-exit' | 'removed';
  out: PassThrough;
}

/** Log entries kept per container; older ones are dropped (dockerd would rotate json-file logs). */
export const LOG_LIMIT = 1000;

/** One container. */
export interface SimContainer {
  readonly id: string;
  name: string;
  /** Wall ms. */
  readonly created: number;
  /** Creation order, for newest-first lists and before/since filters. */
  readonly seq: number;
  readonly config: ContainerConfig;
  readonly hostConfig: Record<string, unknown>;
  readonly image: SimImage;
  readonly path: string;
  readonly args: string[];
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  /** Wall ms, 0 = never. */
  startedAt: number;
  /** Wall ms, 0 = never. */
  finishedAt: number;
  restartCount: number;
  process: SimProcess | undefined;
  /** Stdin for the current run, or the next one (attach before start buffers here). */
  stdin: StdinQueue;
  logs: LogEntry[];
  readonly attachments: Set<Attachment>;
  readonly waiters: Set<Waiter>;
  readonly followers: Set<LogFollower>;
  /** A stop is in progress: its die event is followed by `stop`. */
  stopping: boolean;
  /** The first endpoint's address while running ('' otherwise): the top-level IPAddress. */
  ip: string;
  /** Files this container wrote outside its mounts (its writable layer: diff, export, commit). */
  readonly layer: Tree;
  readonly mounts: SimMount[];
  /** Its networks by name, in attach order. */
  readonly networks: Map<string, SimEndpoint>;
  /** Bumped whenever an endpoint changes (connect, disconnect, addresses): list rows are rebuilt. */
  netGen: number;
  /** Exec processes running in it, by exec id (inspect ExecIDs; killed when the container stops). */
  readonly execs: Map<string, SimProcess>;
}

/** Builds a container in the `created` state. */
export function newContainer(fields: {
  id: string;
  name: string;
  created: number;
  seq: number;
  config: ContainerConfig;
  hostConfig: Record<string, unknown>;
  image: SimImage;
  path: string;
  args: string[];
  mounts?: SimMount[];
  networks?: Map<string, SimEndpoint>;
}): SimContainer {
  return {
    ...fields,
    status: 'created',
    pid: 0,
    exitCode: 0,
    error: '',
    startedAt: 0,
    finishedAt: 0,
    restartCount: 0,
    process: undefined,
    stdin: new StdinQueue(),
    logs: [],
    attachments: new Set(),
    waiters: new Set(),
    followers: new Set(),
    stopping: false,
    ip: '',
    layer: new Map(),
    mounts: fields.mounts ?? [],
    networks: fields.networks ?? new Map(),
    netGen: 0,
    execs: new Map(),
  };
}

/** True while a process exists (running or paused). */
export function isRunning(c: SimContainer): boolean {
  return c.status === 'running' || c.status === 'paused';
}

/** Appends output to the container's log, dropping the oldest entries past {@link LOG_LIMIT}. */
export function appendLog(c: SimContainer, entry: LogEntry): void {
  c.logs.push(entry);
  if (c.logs.length > LOG_LIMIT) c.logs.splice(0, c.logs.length - LOG_LIMIT);
}
