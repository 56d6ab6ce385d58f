/**
 * The built-in rules. Each reads a request as the daemon will (op from the cleaned path, body decoded
 * with Go's rules into dockerd's types) and names what it refuses. Rules are named so a rules file can
 * turn them off or on, and so a 403 says which one refused.
 * @module
 */
import type { GoStruct } from './go-decode.js';
import { hostPathProblem } from './host-paths.js';
import { KNOWN_OPS, READ_OPS } from './routes.js';

/** What a rule sees. `body` is decoded into the op's Go type (see `decodeBody`). */
export interface RuleInput {
  op: string;
  id?: string;
  query: Readonly<Record<string, string>>;
  body?: GoStruct;
}

/** The settings rules read (from the profile and the rules file). */
export interface RuleSettings {
  /** Host paths (cleaned) under which bind mounts are allowed. */
  bindAllow: readonly string[];
  /** Capabilities (upper case, no `CAP_` prefix) that `CapAdd` may name. */
  capAllow: ReadonlySet<string>;
  /** `SecurityOpt` entries allowed as they are. */
  securityOptAllow: ReadonlySet<string>;
}

/** A rule's finding: what in the request it refuses. */
export type Finding = string | undefined;

/** A built-in rule. */
export interface Rule {
  readonly name: string;
  /** One line for --help and docs/SECURITY.md. */
  readonly summary: string;
  check(input: RuleInput, settings: RuleSettings): Finding;
}

/** Docker's default capabilities: adding one back is harmless. */
export const DEFAULT_CAPS: readonly string[] = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
];

/** `SecurityOpt` entries that only take privileges away. */
export const SAFE_SECURITY_OPTS: readonly string[] = [
  'no-new-privileges',
  'no-new-privileges:true',
  'no-new-privileges=true',
  'apparmor=docker-default',
  'apparmor:docker-default',
];

/** The host configs dockerd may use for a create: `HostConfig`, and the deprecated top-level fields. */
function hostConfigs(input: RuleInput): [string, GoStruct][] {
  if (input.op !== 'container.create' || !input.body) return [];
  const out: [string, GoStruct][] = [['', input.body]];
  const inner = input.body.HostConfig as GoStruct | undefined;
  if (inner) out.unshift(['HostConfig.', inner]);
  return out;
}

/** The first finding of `f` over every host config of a create (inner first), with the field's path. */
function overHostConfigs(input: RuleInput, f: (hc: GoStruct, at: string) => Finding): Finding {
  for (const [at, hc] of hostConfigs(input)) {
    const found = f(hc, at);
    if (found) return found;
  }
  return undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
const isHost = (v: unknown) => typeof v === 'string' && v.trim().toLowerCase() === 'host';
const HEXISH = /^[0-9a-f]{1,64}$/i;

/** A network named by something that could be the host network (its name, or an id prefix). */
function hostNetwork(name: string): string | undefined {
  if (isHost(name)) return 'the host network';
  if (HEXISH.test(name))
    return `network id ${name} (an id may be the host network's; name the network instead)`;
  return undefined;
}

/** Docker's named-volume syntax; anything else before the first `:` of a bind is a host path. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function bindProblem(hc: GoStruct, at: string, s: RuleSettings): Finding {
  for (const [i, b] of strings(hc.Binds).entries()) {
    const colon = b.indexOf(':');
    if (colon < 0) continue; // one path: an anonymous volume at that path in the container
    const source = b.slice(0, colon);
    if (VOLUME_NAME.test(source)) continue;
    const why = hostPathProblem(source, s.bindAllow);
    if (why) return `${at}Binds[${i}] mounts ${why}`;
  }
  const mounts = Array.isArray(hc.Mounts) ? (hc.Mounts as GoStruct[]) : [];
  for (const [i, m] of mounts.entries()) {
    const type = typeof m.Type === 'string' ? m.Type : '';
    if (type === 'volume' || type === 'tmpfs') continue;
    if (type !== 'bind') return `${at}Mounts[${i}] has type ${JSON.stringify(type)}`;
    const why = hostPathProblem(typeof m.Source === 'string' ? m.Source : '', s.bindAllow);
    if (why) return `${at}Mounts[${i}] binds ${why}`;
  }
  const from = strings(hc.VolumesFrom);
  if (from.length) return `${at}VolumesFrom copies the mounts (host binds included) of ${from.join(', ')}`;
  return undefined;
}

/** Driver options that make the local driver mount a host path or device (`type`, `o`, `device`). */
function driverOptionProblem(opts: unknown, at: string): Finding {
  if (!opts || typeof opts !== 'object') return undefined;
  const keys = Object.keys(opts);
  const bad = keys.filter((k) => ['device', 'o', 'type'].includes(k.trim().toLowerCase()));
  return bad.length ? `${at} sets ${bad.join(', ')} (a volume that mounts a host path or device)` : undefined;
}

function normalizeCap(c: string): string {
  const u = c.trim().toUpperCase();
  return u.startsWith('CAP_') ? u.slice(4) : u;
}

/** The built-in rules, in the order they are checked. */
export const RULES: readonly Rule[] = [
  {
    name: 'unknown-endpoint',
    summary: 'requests for endpoints the policy does not know are refused',
    check: (i) =>
      KNOWN_OPS.has(i.op)
        ? undefined
        : `${i.op || 'this path'} is not an Engine API endpoint the policy knows`,
  },
  {
    name: 'read-only',
    summary: 'only reads (ping, version, info, events, lists, inspect, logs, top, stats)',
    check: (i) => (READ_OPS.has(i.op) ? undefined : `${i.op} changes the daemon or copies data out of it`),
  },
  {
    name: 'privileged',
    summary: 'no --privileged containers',
    check: (i) =>
      overHostConfigs(i, (hc, at) => (hc.Privileged === true ? `${at}Privileged is true` : undefined)),
  },
  {
    name: 'privileged-exec',
    summary: 'no privileged exec',
    check: (i) =>
      i.op === 'container.exec' && i.body?.Privileged === true ? 'the exec has Privileged true' : undefined,
  },
  {
    name: 'host-bind',
    summary:
      'bind mounts only of allowed host paths, never /, the Docker socket or system folders; no VolumesFrom',
    check: (i, s) => overHostConfigs(i, (hc, at) => bindProblem(hc, at, s)),
  },
  {
    name: 'volume-driver-options',
    summary: 'no volumes whose driver options mount a host path or device',
    check(i) {
      if (i.op === 'volume.create') return driverOptionProblem(i.body?.DriverOpts, 'DriverOpts');
      return overHostConfigs(i, (hc, at) => {
        const mounts = Array.isArray(hc.Mounts) ? (hc.Mounts as GoStruct[]) : [];
        for (const [n, m] of mounts.entries()) {
          const vo = m.VolumeOptions as GoStruct | undefined;
          const dc = vo?.DriverConfig as GoStruct | undefined;
          const found = driverOptionProblem(
            dc?.Options,
            `${at}Mounts[${n}].VolumeOptions.DriverConfig.Options`,
          );
          if (found) return found;
        }
        return undefined;
      });
    },
  },
  {
    name: 'host-namespace',
    summary: 'no host PID, IPC, UTS, user or cgroup namespace',
    check: (i) =>
      overHostConfigs(i, (hc, at) => {
        const mode = ['PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'].find((f) =>
          isHost(hc[f]),
        );
        return mode ? `${at}${mode} is host` : undefined;
      }),
  },
  {
    name: 'host-network',
    summary: 'no host network (containers, builds, network create/connect)',
    check(i) {
      if (i.op === 'image.build' && isHost(i.query.networkmode))
        return 'the build runs with networkmode=host';
      if (i.op === 'network.connect' && i.id && hostNetwork(i.id)) return `connects to ${hostNetwork(i.id)}`;
      if (i.op === 'network.create') {
        const d = typeof i.body?.Driver === 'string' ? i.body.Driver.trim().toLowerCase() : '';
        if (['host', 'macvlan', 'ipvlan'].includes(d)) return `the network driver is ${d}`;
      }
      return overHostConfigs(i, (hc, at) => {
        const mode = typeof hc.NetworkMode === 'string' ? hc.NetworkMode : '';
        const bad = mode && hostNetwork(mode);
        if (bad) return `${at}NetworkMode names ${bad}`;
        if (at === '') {
          const eps = (i.body?.NetworkingConfig as GoStruct | undefined)?.EndpointsConfig;
          for (const name of eps && typeof eps === 'object' ? Object.keys(eps) : []) {
            const hit = hostNetwork(name);
            if (hit) return `NetworkingConfig.EndpointsConfig names ${hit}`;
          }
        }
        return undefined;
      });
    },
  },
  {
    name: 'capabilities',
    summary: 'CapAdd only of Docker default capabilities (never ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE…)',
    check: (i, s) =>
      overHostConfigs(i, (hc, at) => {
        const bad = strings(hc.CapAdd).filter((c) => !s.capAllow.has(normalizeCap(c)));
        return bad.length ? `${at}CapAdd adds ${bad.join(', ')}` : undefined;
      }),
  },
  {
    name: 'devices',
    summary: 'no host devices (Devices, DeviceCgroupRules, DeviceRequests)',
    check(i) {
      const f = (hc: GoStruct, at: string): Finding => {
        const field = ['Devices', 'DeviceCgroupRules', 'DeviceRequests'].find(
          (k) => Array.isArray(hc[k]) && (hc[k] as unknown[]).length > 0,
        );
        return field ? `${at}${field} gives the container host devices` : undefined;
      };
      if (i.op === 'container.update' && i.body) return f(i.body, '');
      return overHostConfigs(i, f);
    },
  },
  {
    name: 'security-options',
    summary: 'no seccomp/apparmor unconfined, label=disable, systempaths=unconfined, or unmasked /proc paths',
    check: (i, s) =>
      overHostConfigs(i, (hc, at) => {
        const bad = strings(hc.SecurityOpt).filter((o) => !s.securityOptAllow.has(o.trim()));
        if (bad.length) return `${at}SecurityOpt has ${bad.join(', ')}`;
        const unmask = ['MaskedPaths', 'ReadonlyPaths'].find((k) => hc[k] !== undefined);
        return unmask ? `${at}${unmask} replaces the /proc paths Docker hides` : undefined;
      }),
  },
  {
    name: 'plugins',
    summary: 'no plugin install, create, enable, disable, upgrade, set, push or remove',
    check: (i) =>
      i.op.startsWith('plugin.') && !READ_OPS.has(i.op) ? `${i.op} changes the daemon's plugins` : undefined,
  },
  {
    name: 'swarm',
    summary:
      'no swarm init/join/leave/update/unlock, no services, nodes, secrets or configs changes, no join tokens',
    check(i) {
      const family = i.op.split('.')[0] ?? '';
      if (i.op === 'swarm.inspect') return 'GET /swarm answers with the join tokens';
      if (['swarm', 'service', 'node', 'secret', 'config'].includes(family) && !READ_OPS.has(i.op))
        return `${i.op} changes swarm mode`;
      return undefined;
    },
  },
  {
    name: 'buildkit',
    summary: 'no BuildKit sessions (their gRPC requests are never shown to the policy)',
    check: (i) => (i.op === 'session' || i.op === 'session.grpc' ? 'a BuildKit session' : undefined),
  },
];

/** Built-in rule names. */
export const RULE_NAMES: readonly string[] = RULES.map((r) => r.name);
