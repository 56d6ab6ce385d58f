/**
 * Containers as dockerd 20.10 shows them: list rows (`GET /containers/json`), the inspect document
 * (`GET /containers/{id}/json`) and the human `Status` column ("Up 3 seconds", "Exited (0) 2 seconds
 * ago", "Created").
 * @module
 */
import { isRunning, type SimContainer } from './container.js';
import { endpointDocument } from './networks.js';
import { humanDuration, rfc3339Nano, unixSeconds } from './time.js';
import { mountsDocument } from './volumes.js';

/** The `Status` column, as dockerd's `State.String()` words it. */
export function statusText(c: SimContainer, now: number): string {
  if (c.status === 'running') return `Up ${humanDuration(now - c.startedAt)}`;
  if (c.status === 'paused') return `Up ${humanDuration(now - c.startedAt)} (Paused)`;
  if (c.status === 'removing') return 'Removal In Progress';
  if (c.status === 'dead') return 'Dead';
  if (c.startedAt === 0) return 'Created';
  if (c.finishedAt === 0) return '';
  return `Exited (${c.exitCode}) ${humanDuration(now - c.finishedAt)} ago`;
}

/** The `Command` column: path and args joined, as dockerd does (no shell quoting). */
export function commandText(c: SimContainer): string {
  return [c.path, ...c.args].map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ');
}

interface PortRow {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** `HostConfig.PortBindings` → `{"80/tcp":[{HostIp,HostPort}]}`, only while running (like dockerd). */
function publishedPorts(c: SimContainer): Record<string, { HostIp: string; HostPort: string }[]> {
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  const bindings = (c.hostConfig.PortBindings ?? {}) as Record<
    string,
    { HostIp?: string; HostPort?: string }[]
  >;
  for (const port of Object.keys(c.config.ExposedPorts ?? {})) out[port] = [];
  for (const [port, list] of Object.entries(bindings)) {
    out[port] = (list ?? []).map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort ?? '' }));
  }
  return out;
}

function portRows(c: SimContainer): PortRow[] {
  const rows: PortRow[] = [];
  for (const [port, bindings] of Object.entries(publishedPorts(c))) {
    const [num = '0', type = 'tcp'] = port.split('/');
    if (!isRunning(c) || bindings.length === 0) {
      rows.push({ PrivatePort: Number(num), Type: type });
      continue;
    }
    for (const b of bindings) {
      rows.push({ IP: b.HostIp, PrivatePort: Number(num), PublicPort: Number(b.HostPort) || 0, Type: type });
    }
  }
  return rows;
}

/** `NetworkSettings.Networks`: one entry per attached network, by name. */
function networksOf(c: SimContainer, forList: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ep] of c.networks) out[name] = endpointDocument(c, ep, forList);
  return out;
}

/** The top-level address fields: the default bridge's endpoint (empty on any other network). */
function bridgeFields(c: SimContainer): {
  EndpointID: string;
  Gateway: string;
  IPAddress: string;
  IPPrefixLen: number;
  MacAddress: string;
} {
  const ep = c.networks.get('bridge');
  const up = ep !== undefined && ep.ip !== '';
  return {
    EndpointID: ep?.endpointId ?? '',
    Gateway: up ? '172.17.0.1' : '',
    IPAddress: ep?.ip ?? '',
    IPPrefixLen: up ? 16 : 0,
    MacAddress: ep?.mac ?? '',
  };
}

/** The parts of a list row that change only with the container's name, state or address. */
interface RowParts {
  name: string;
  status: string;
  netGen: number;
  Names: readonly string[];
  Command: string;
  Ports: readonly PortRow[];
  HostConfig: Readonly<Record<string, unknown>>;
  NetworkSettings: Readonly<Record<string, unknown>>;
}

/**
 * Row parts per container, rebuilt when its name, status or address changes. A `ps -a` of 10,000
 * containers built ~10 objects and 3 strings per row, and collecting them was the largest cost of a
 * listing (for one engine and for 1,000 engines alike). The parts are frozen: replies share them, so
 * nothing may change them in place.
 */
const PARTS = new WeakMap<SimContainer, RowParts>();

function rowParts(c: SimContainer): RowParts {
  const cached = PARTS.get(c);
  if (cached && cached.name === c.name && cached.status === c.status && cached.netGen === c.netGen)
    return cached;
  const parts: RowParts = {
    name: c.name,
    status: c.status,
    netGen: c.netGen,
    Names: deepFreeze([`/${c.name}`]),
    Command: commandText(c),
    Ports: deepFreeze(portRows(c)),
    HostConfig: deepFreeze({ NetworkMode: (c.hostConfig.NetworkMode as string | undefined) || 'default' }),
    NetworkSettings: deepFreeze({ Networks: networksOf(c, true) }),
  };
  PARTS.set(c, parts);
  return parts;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** One row of `GET /containers/json`; `size` adds SizeRw / SizeRootFs like `?size=1`. */
export function listRow(c: SimContainer, now: number, size: boolean): Record<string, unknown> {
  const p = rowParts(c);
  const row: Record<string, unknown> = {
    Id: c.id,
    Names: p.Names,
    Image: c.config.Image,
    ImageID: c.image.id,
    Command: p.Command,
    Created: unixSeconds(c.created),
    Ports: p.Ports,
    Labels: c.config.Labels,
    State: c.status,
    Status: statusText(c, now),
    HostConfig: p.HostConfig,
    NetworkSettings: p.NetworkSettings,
    Mounts: mountsDocument(c),
  };
  if (size) {
    row.SizeRw = 0;
    row.SizeRootFs = c.image.size;
  }
  return row;
}

/** `GET /containers/{id}/json`. */
export function inspectDocument(c: SimContainer): Record<string, unknown> {
  const running = isRunning(c);
  const net = bridgeFields(c);
  const root = `/var/lib/docker/containers/${c.id}`;
  return {
    Id: c.id,
    Created: rfc3339Nano(c.created),
    Path: c.path,
    Args: c.args,
    State: {
      Status: c.status,
      Running: running,
      Paused: c.status === 'paused',
      Restarting: false,
      OOMKilled: false,
      Dead: c.status === 'dead',
      Pid: running ? c.pid : 0,
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: rfc3339Nano(c.startedAt),
      FinishedAt: rfc3339Nano(c.finishedAt),
    },
    Image: c.image.id,
    ResolvConfPath: `${root}/resolv.conf`,
    HostnamePath: `${root}/hostname`,
    HostsPath: `${root}/hosts`,
    LogPath: `${root}/${c.id}-json.log`,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.execs.size > 0 ? [...c.execs.keys()] : null,
    HostConfig: c.hostConfig,
    GraphDriver: { Data: null, Name: 'overlay2' },
    Mounts: mountsDocument(c),
    Config: c.config,
    NetworkSettings: {
      Bridge: '',
      SandboxID: running ? c.id.slice(0, 12).padEnd(64, 'a') : '',
      HairpinMode: false,
      LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0,
      Ports: running ? publishedPorts(c) : {},
      SandboxKey: running ? `/var/run/docker/netns/${c.id.slice(0, 12)}` : '',
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: net.EndpointID,
      Gateway: net.Gateway,
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      IPAddress: net.IPAddress,
      IPPrefixLen: net.IPPrefixLen,
      IPv6Gateway: '',
      MacAddress: net.MacAddress,
      Networks: networksOf(c, false),
    },
  };
}
