/**
 * Networks as dockerd 20.10 keeps them: the predefined `bridge` (172.17.0.0/16), `host` and `none`,
 * plus user-defined `bridge` networks (172.18.0.0/16, 172.19.0.0/16, …). A container is attached to
 * networks from create on (`--network`, `NetworkingConfig`) and by connect/disconnect; its endpoint
 * (an address in the network's subnet, an endpoint id, a MAC address) exists only while it runs, as
 * in dockerd, which is also why only running containers keep a network from being removed or pruned.
 * Other drivers (overlay, macvlan…) answer like a daemon that has no such plugin, or — overlay — like
 * a daemon outside swarm mode.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { isRunning, type SimContainer } from './container.js';
import { badRequest, EngineError } from './engine-errors.js';
import { exactMatch, type Filters, labelMatch, regexMatch } from './filters.js';
import { rfc3339Nano } from './time.js';

/** One network. */
export interface SimNetwork {
  readonly id: string;
  readonly name: string;
  readonly driver: 'bridge' | 'host' | 'null';
  /** Wall ms. */
  readonly created: number;
  /** Second octet of 172.x.0.0/16; 0 for host and none. */
  readonly octet: number;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly labels: Record<string, string>;
  readonly options: Record<string, string>;
  readonly predefined: boolean;
  /** Next host number to hand out (2 upwards; 1 is the gateway). */
  next: number;
}

/** A container's endpoint in one network (NetworkSettings.Networks[name]). */
export interface SimEndpoint {
  network: SimNetwork;
  aliases: string[] | null;
  ipamConfig: Record<string, unknown> | null;
  /** While running: its address, endpoint id and MAC; '' otherwise. */
  ip: string;
  endpointId: string;
  mac: string;
  /** Connected after create (`network connect`): dockerd then shows `{}` for IPAMConfig/DriverOpts. */
  connected: boolean;
}

/** dockerd's `docker0` options, shown on the default bridge. */
const BRIDGE_OPTIONS = {
  'com.docker.network.bridge.default_bridge': 'true',
  'com.docker.network.bridge.enable_icc': 'true',
  'com.docker.network.bridge.enable_ip_masquerade': 'true',
  'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
  'com.docker.network.bridge.name': 'docker0',
  'com.docker.network.driver.mtu': '1500',
};

/** Network names dockerd refuses to create or remove. */
export const PREDEFINED: ReadonlySet<string> = new Set(['bridge', 'host', 'none', 'default']);

function stableId(name: string): string {
  return createHash('sha256').update(`network:${name}`).digest('hex');
}

function strings(v: unknown): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<
    string,
    string
  >;
}

/** The networks of one engine. */
export class NetworkStore {
  readonly #all: SimNetwork[] = [];
  #octet = 18;

  constructor(created: number) {
    const base = { created, internal: false, attachable: false, labels: {}, predefined: true, next: 2 };
    this.#all.push(
      {
        ...base,
        id: stableId('bridge'),
        name: 'bridge',
        driver: 'bridge',
        octet: 17,
        options: BRIDGE_OPTIONS,
      },
      { ...base, id: stableId('host'), name: 'host', driver: 'host', octet: 0, options: {} },
      { ...base, id: stableId('none'), name: 'none', driver: 'null', octet: 0, options: {} },
    );
  }

  /** Every network, in creation order. */
  get all(): readonly SimNetwork[] {
    return this.#all;
  }

  /** Resolves a name, full id or unique id prefix like dockerd (name first, then id). */
  find(ref: string): SimNetwork | undefined {
    const named = this.#all.find((n) => n.name === ref) ?? this.#all.find((n) => n.id === ref);
    if (named) return named;
    if (ref === '' || !/^[0-9a-f]+$/.test(ref)) return undefined;
    const hits = this.#all.filter((n) => n.id.startsWith(ref));
    return hits.length === 1 ? hits[0] : undefined;
  }

  /** Resolves `ref` or throws dockerd's `404 network <ref> not found`. */
  get(ref: string): SimNetwork {
    const n = this.find(ref);
    if (!n) throw new EngineError(404, `network ${ref} not found`);
    return n;
  }

  /** `POST /networks/create`: returns the network and dockerd's warning for a duplicate name. */
  create(body: unknown, now: number): { network: SimNetwork; warning: string } {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const name = typeof b.Name === 'string' ? b.Name : '';
    if (PREDEFINED.has(name) && name !== 'default') {
      throw new EngineError(403, `operation is not permitted on predefined ${name} network `);
    }
    if (name.trim() === '') throw new EngineError(500, `invalid name: ${name}`);
    const same = this.#all.find((n) => n.name === name);
    if (same && b.CheckDuplicate === true)
      throw new EngineError(409, `network with name ${name} already exists`);
    const driver = typeof b.Driver === 'string' && b.Driver !== '' ? b.Driver : 'bridge';
    if (driver === 'overlay') {
      throw new EngineError(
        500,
        'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.',
      );
    }
    if (driver !== 'bridge') {
      // dockerd's answer for a driver it has no plugin for; the simulator models bridge networks only.
      throw new EngineError(404, `plugin "${driver}" not found`);
    }
    if (b.EnableIPv6 === true) throw new EngineError(501, 'the simulator does not model IPv6 networks');
    const network: SimNetwork = {
      id: randomBytes(32).toString('hex'),
      name,
      driver: 'bridge',
      created: now,
      octet: this.#octet++,
      internal: b.Internal === true,
      attachable: b.Attachable === true,
      labels: strings(b.Labels),
      options: strings(b.Options),
      predefined: false,
      next: 2,
    };
    this.#all.push(network);
    const warning = same ? `Network with name ${name} (id : ${same.id}) already exists` : '';
    return { network, warning };
  }

  /** Forgets a user network. */
  delete(n: SimNetwork): void {
    const i = this.#all.indexOf(n);
    if (i >= 0) this.#all.splice(i, 1);
  }
}

/** dockerd's 403 for removing a network with running endpoints. */
export function activeEndpoints(n: SimNetwork): EngineError {
  return new EngineError(
    403,
    `error while removing network: network ${n.name} id ${n.id} has active endpoints`,
  );
}

/** Running containers attached to `n`. */
export function endpointsIn(n: SimNetwork, containers: Iterable<SimContainer>): SimContainer[] {
  const out: SimContainer[] = [];
  for (const c of containers) if (isRunning(c) && c.networks.get(n.name)?.network === n) out.push(c);
  return out;
}

/** Gives a running container's endpoints their addresses (start). */
export function endpointsUp(c: SimContainer): void {
  for (const ep of c.networks.values()) up(ep);
}

function up(ep: SimEndpoint): void {
  const n = ep.network;
  if (ep.endpointId !== '') return;
  ep.endpointId = randomBytes(32).toString('hex');
  if (n.driver !== 'bridge') return;
  const host = n.next++;
  ep.ip = `172.${n.octet}.${(host >> 8) & 255}.${host & 255}`;
  ep.mac = `02:42:ac:${n.octet.toString(16).padStart(2, '0')}:${((host >> 8) & 255).toString(16).padStart(2, '0')}:${(host & 255).toString(16).padStart(2, '0')}`;
}

/** Takes the addresses back when the container stops. */
export function endpointsDown(c: SimContainer): void {
  for (const ep of c.networks.values()) {
    ep.ip = '';
    ep.endpointId = '';
    ep.mac = '';
  }
}

/** The network a create's `NetworkMode` names (`default` is the bridge). */
export function networkOfMode(store: NetworkStore, mode: string): SimNetwork | undefined {
  if (mode === '' || mode === 'default') return store.get('bridge');
  if (mode.startsWith('container:')) return undefined;
  return store.get(mode);
}

/** The endpoints a create body asks for: its NetworkMode's network with NetworkingConfig's settings. */
export function createEndpoints(
  store: NetworkStore,
  mode: string,
  networking: unknown,
): Map<string, SimEndpoint> {
  const out = new Map<string, SimEndpoint>();
  const primary = networkOfMode(store, mode);
  if (!primary) return out;
  const configs = ((networking as { EndpointsConfig?: Record<string, unknown> } | undefined)
    ?.EndpointsConfig ?? {}) as Record<string, Record<string, unknown> | null>;
  const own = configs[mode] ?? configs[primary.name] ?? {};
  out.set(primary.name, endpoint(primary, own ?? {}, false));
  return out;
}

function endpoint(n: SimNetwork, config: Record<string, unknown>, connected: boolean): SimEndpoint {
  const aliases = Array.isArray(config.Aliases)
    ? (config.Aliases as unknown[]).filter((a) => typeof a === 'string')
    : null;
  const ipam = config.IPAMConfig;
  return {
    network: n,
    aliases: aliases && aliases.length > 0 ? (aliases as string[]) : null,
    ipamConfig: typeof ipam === 'object' && ipam !== null ? (ipam as Record<string, unknown>) : null,
    ip: '',
    endpointId: '',
    mac: '',
    connected,
  };
}

/** `POST /networks/{id}/connect`: dockerd's checks, then the endpoint (addressed at once if running). */
export function connect(n: SimNetwork, c: SimContainer, config: unknown): void {
  if (c.networks.has(n.name)) {
    throw new EngineError(403, `endpoint with name ${c.name} already exists in network ${n.name}`);
  }
  const modes = [...c.networks.values()].map((e) => e.network.driver);
  if (n.driver === 'null' || modes.includes('null')) {
    throw badRequest(
      'container cannot be connected to multiple networks with one of the networks in private (none) mode',
    );
  }
  if (n.driver === 'host' || modes.includes('host')) {
    throw badRequest('container cannot be disconnected from host network or connected to host network');
  }
  const ep = endpoint(
    n,
    (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>,
    true,
  );
  c.networks.set(n.name, ep);
  if (isRunning(c)) up(ep);
}

/** `POST /networks/{id}/disconnect`. */
export function disconnect(n: SimNetwork, c: SimContainer): void {
  if (!c.networks.has(n.name)) {
    throw new EngineError(500, `container ${c.id} is not connected to network ${n.name}`);
  }
  if (n.driver === 'host')
    throw badRequest('container cannot be disconnected from host network or connected to host network');
  c.networks.delete(n.name);
}

/** A container's `NetworkSettings.Networks[name]` (list rows hide aliases, as dockerd does). */
export function endpointDocument(
  c: SimContainer,
  ep: SimEndpoint,
  forList: boolean,
): Record<string, unknown> {
  const active = ep.endpointId !== '';
  const addressed = ep.ip !== '';
  const n = ep.network;
  // A running container answers to its short id on a user network (dockerd adds it as an alias).
  let aliases = ep.aliases;
  if (forList) aliases = null;
  else if (active && !n.predefined) aliases = [...(ep.aliases ?? []), c.id.slice(0, 12)];
  return {
    IPAMConfig: ep.ipamConfig ?? (ep.connected ? {} : null),
    Links: null,
    Aliases: aliases,
    NetworkID: active ? n.id : '',
    EndpointID: ep.endpointId,
    Gateway: addressed ? `172.${n.octet}.0.1` : '',
    IPAddress: ep.ip,
    IPPrefixLen: addressed ? 16 : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: ep.mac,
    DriverOpts: ep.connected && !forList ? {} : null,
  };
}

/** A network as inspect (with its running containers) or the list shows it. */
export function networkDocument(
  n: SimNetwork,
  containers: Iterable<SimContainer>,
  inspect: boolean,
): Record<string, unknown> {
  const attached: Record<string, unknown> = {};
  if (inspect) {
    for (const c of endpointsIn(n, containers)) {
      const ep = c.networks.get(n.name);
      if (!ep || ep.endpointId === '') continue;
      attached[c.id] = {
        Name: c.name,
        EndpointID: ep.endpointId,
        MacAddress: ep.mac,
        IPv4Address: ep.ip === '' ? '' : `${ep.ip}/16`,
        IPv6Address: '',
      };
    }
  }
  const bridge = n.driver === 'bridge';
  return {
    Name: n.name,
    Id: n.id,
    Created: rfc3339Nano(n.created),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: {
      Driver: 'default',
      Options: bridge && !n.predefined ? {} : null,
      Config: bridge ? [{ Subnet: `172.${n.octet}.0.0/16`, Gateway: `172.${n.octet}.0.1` }] : [],
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: attached,
    Options: n.options,
    Labels: n.labels,
  };
}

/** dockerd's network list filters: name and id (regex/substring), driver, type, label, scope, dangling. */
export function networkMatches(f: Filters, n: SimNetwork, used: boolean): boolean {
  for (const key of f.keys()) {
    if (!['name', 'id', 'driver', 'type', 'label', 'scope', 'dangling'].includes(key)) {
      throw badRequest(`Invalid filter '${key}'`);
    }
  }
  if (f.has('name') && !regexMatch(f, 'name', n.name)) return false;
  if (f.has('id') && !regexMatch(f, 'id', n.id)) return false;
  if (!exactMatch(f, 'driver', n.driver) || !exactMatch(f, 'scope', 'local')) return false;
  if (!exactMatch(f, 'type', n.predefined ? 'builtin' : 'custom')) return false;
  if (!labelMatch(f, 'label', n.labels)) return false;
  const dangling = f.get('dangling');
  if (dangling && dangling.length > 0) {
    const want = dangling[0] === 'true' || dangling[0] === '1';
    if (n.predefined || want === used) return false;
  }
  return true;
}
