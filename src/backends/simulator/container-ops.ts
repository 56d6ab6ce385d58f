/**
 * Container diff, export and update as dockerd 20.10 answers them. Diff and export read the
 * container's writable layer (fs.ts): what its processes wrote outside their mounts. Update changes
 * the resources and restart policy kept in HostConfig (the simulator enforces neither: no cgroups,
 * no restarts).
 * @module
 */
import { PassThrough } from 'node:stream';
import type { SimContainer } from './container.js';
import type { Engine } from './engine.js';
import { badRequest, conflict } from './engine-errors.js';
import { containerEvent } from './events.js';
import { type Change, changes, type FsEntry, initTree, mergeTrees, type Tree } from './fs.js';
import { treeEntries } from './layers.js';
import { writeTar } from './tar.js';

/** `GET /containers/{id}/changes`. */
export function containerDiff(c: SimContainer): Change[] | null {
  return changes(
    c.image.tree,
    c.layer,
    c.mounts.map((m) => m.destination),
  );
}

/** The container's root as `export` and `commit` see it (mount points as empty directories). */
export function rootTree(c: SimContainer): Tree {
  const mountPoints: Tree = new Map(c.mounts.map((m): [string, FsEntry] => [m.destination, { kind: 'dir' }]));
  return mergeTrees(initTree(), c.image.tree, mountPoints, c.layer);
}

/** `GET /containers/{id}/export`: the root filesystem as a tar stream. */
export function containerExport(engine: Engine, c: SimContainer): PassThrough {
  const out = new PassThrough();
  const mtime = Math.floor(engine.wall.now() / 1000);
  engine.events.emit(containerEvent(c, 'export', engine.wall.now()));
  out.end(writeTar(treeEntries(rootTree(c), mtime)));
  return out;
}

/** The HostConfig fields `docker update` may change (container.UpdateConfig: Resources + RestartPolicy). */
const RESOURCE_FIELDS = [
  'CpuShares',
  'Memory',
  'NanoCpus',
  'CgroupParent',
  'BlkioWeight',
  'BlkioWeightDevice',
  'BlkioDeviceReadBps',
  'BlkioDeviceWriteBps',
  'BlkioDeviceReadIOps',
  'BlkioDeviceWriteIOps',
  'CpuPeriod',
  'CpuQuota',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'CpusetCpus',
  'CpusetMems',
  'Devices',
  'DeviceCgroupRules',
  'DeviceRequests',
  'KernelMemory',
  'KernelMemoryTCP',
  'MemoryReservation',
  'MemorySwap',
  'MemorySwappiness',
  'OomKillDisable',
  'PidsLimit',
  'Ulimits',
  'CpuCount',
  'CpuPercent',
  'IOMaximumIOps',
  'IOMaximumBandwidth',
] as const;

const POLICIES = new Set(['', 'no', 'always', 'unless-stopped', 'on-failure']);

/**
 * `POST /containers/{id}/update`: dockerd's checks (restart policy name, auto-remove, memory vs swap),
 * then the new values in HostConfig; answers `{"Warnings":null}`.
 */
export function containerUpdate(engine: Engine, c: SimContainer, body: unknown): { Warnings: null } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const policy = b.RestartPolicy as { Name?: unknown; MaximumRetryCount?: unknown } | undefined;
  if (policy && typeof policy === 'object') {
    const name = typeof policy.Name === 'string' ? policy.Name : '';
    if (!POLICIES.has(name)) throw badRequest(`invalid restart policy '${name}'`);
    const retries = typeof policy.MaximumRetryCount === 'number' ? policy.MaximumRetryCount : 0;
    if (name !== 'on-failure' && retries !== 0) {
      throw badRequest(`maximum retry count cannot be used with restart policy '${name}'`);
    }
    if (name !== '' && name !== 'no' && c.hostConfig.AutoRemove === true) {
      throw badRequest('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
  }
  // dockerd's update rule: a new memory limit above the swap limit the container has needs a new
  // swap limit with it (a container created without limits has MemorySwap 0).
  if (typeof b.Memory === 'number' && b.Memory !== 0) {
    const swap = (c.hostConfig.MemorySwap as number | undefined) ?? 0;
    const newSwap = typeof b.MemorySwap === 'number' ? b.MemorySwap : 0;
    if (b.Memory > swap && newSwap === 0) {
      throw conflict(
        `Cannot update container ${c.id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time`,
      );
    }
  }
  // Only what the request sets changes (zero values leave a field alone, as dockerd's update does).
  for (const k of RESOURCE_FIELDS) {
    const v = b[k];
    if (v === undefined || v === null || v === 0 || v === '') continue;
    c.hostConfig[k] = v;
  }
  if (policy && typeof policy === 'object' && typeof policy.Name === 'string' && policy.Name !== '') {
    c.hostConfig.RestartPolicy = { Name: policy.Name, MaximumRetryCount: policy.MaximumRetryCount ?? 0 };
  }
  engine.events.emit(containerEvent(c, 'update', engine.wall.now()));
  return { Warnings: null };
}
