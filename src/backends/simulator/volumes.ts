/**
 * Volumes as dockerd 20.10's `local` driver keeps them: named or anonymous (64 hex digits), created
 * on first use by a container, kept until removed, refused removal while any container (running or
 * not) mounts them. A volume's contents are an in-memory {@link Tree} that every container mounting
 * it shares: what one container writes (`echo x > /data/f`) the next one reads (`cat /data/f`).
 * Bind mounts (`-v /host/dir:/dir`) get the same treatment keyed by the host path: they are NOT the
 * host's files, only a shared in-memory directory (the simulator never touches the host).
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { ContainerConfig, SimContainer } from './container.js';
import { badRequest, conflict, EngineError } from './engine-errors.js';
import { type Filters, labelMatch } from './filters.js';
import { cleanPath, type Tree } from './fs.js';

/** Where dockerd's local driver keeps volume data (shown as Mountpoint; nothing is stored there). */
export const VOLUME_ROOT = '/var/lib/docker/volumes';

/** dockerd's rule for local volume names. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** One volume. */
export interface SimVolume {
  readonly name: string;
  /** Wall ms. */
  readonly created: number;
  readonly labels: Record<string, string> | null;
  readonly options: Record<string, string> | null;
  /** Created without a name (by `-v /dir` or `VOLUME`): `docker rm -v` removes it with its container. */
  readonly anonymous: boolean;
  readonly tree: Tree;
}

/** A mount of a container, as inspect's `Mounts` shows it plus the tree it reads and writes. */
export interface SimMount {
  type: 'volume' | 'bind' | 'tmpfs';
  /** The volume's name ('' for binds and tmpfs). */
  name: string;
  source: string;
  destination: string;
  rw: boolean;
  mode: string;
  tree: Tree;
}

/**
 * Checks a volume name like dockerd's local driver; throws its 400 (`create <name>: …`).
 * Exported for the property test.
 */
export function checkVolumeName(name: string): void {
  if (VOLUME_NAME.test(name)) return;
  if (name.length < 2 && /^[a-zA-Z0-9]*$/.test(name)) {
    throw badRequest(
      `create ${name}: volume name is too short, names should be at least two alphanumeric characters`,
    );
  }
  throw badRequest(
    `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
}

function stringMap(v: unknown): Record<string, string> | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const entries = Object.entries(v).filter(([, x]) => typeof x === 'string') as [string, string][];
  return entries.length === 0 ? null : Object.fromEntries(entries);
}

/** The volumes of one engine, and the in-memory directories behind bind mounts. */
export class VolumeStore {
  readonly #byName = new Map<string, SimVolume>();
  readonly #binds = new Map<string, Tree>();

  /** Every volume, by name. */
  all(): SimVolume[] {
    return [...this.#byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The volume named `name`, or undefined. */
  find(name: string): SimVolume | undefined {
    return this.#byName.get(name);
  }

  /** The volume named `name`, or dockerd's 404 `get <name>: no such volume`. */
  get(name: string): SimVolume {
    const v = this.#byName.get(name);
    if (!v) throw new EngineError(404, `get ${name}: no such volume`);
    return v;
  }

  /**
   * `POST /volumes/create`: an existing name answers the existing volume unchanged (dockerd ignores
   * the new labels); an empty name makes an anonymous one. Returns the volume and whether it is new.
   */
  create(body: unknown, now: number): { volume: SimVolume; fresh: boolean } {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const given = typeof b.Name === 'string' ? b.Name : '';
    const driver = typeof b.Driver === 'string' ? b.Driver : '';
    if (given !== '') checkVolumeName(given);
    const name = given || randomBytes(32).toString('hex');
    if (driver !== '' && driver !== 'local') {
      throw new EngineError(
        404,
        `create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    }
    const have = this.#byName.get(name);
    if (have) return { volume: have, fresh: false };
    const volume: SimVolume = {
      name,
      created: now,
      labels: stringMap(b.Labels),
      options: stringMap(b.DriverOpts),
      anonymous: given === '',
      tree: new Map(),
    };
    this.#byName.set(name, volume);
    return { volume, fresh: true };
  }

  /** Forgets a volume. */
  delete(v: SimVolume): void {
    if (this.#byName.get(v.name) === v) this.#byName.delete(v.name);
  }

  /** The shared in-memory directory standing for host path `path`. */
  bindTree(path: string): Tree {
    let t = this.#binds.get(path);
    if (!t) {
      t = new Map();
      this.#binds.set(path, t);
    }
    return t;
  }
}

/** The containers mounting `v`, oldest first (dockerd's in-use list). */
export function usersOf(v: SimVolume, containers: Iterable<SimContainer>): SimContainer[] {
  const out: SimContainer[] = [];
  for (const c of containers) if (c.mounts.some((m) => m.type === 'volume' && m.name === v.name)) out.push(c);
  return out.sort((a, b) => a.seq - b.seq);
}

/** dockerd's 409 for removing a volume some container mounts. */
export function volumeInUse(v: SimVolume, users: readonly SimContainer[]): EngineError {
  return conflict(`remove ${v.name}: volume is in use - [${users.map((c) => c.id).join(', ')}]`);
}

/** A volume as the API shows it (create, inspect, list). */
export function volumeDocument(v: SimVolume): Record<string, unknown> {
  return {
    CreatedAt: new Date(Math.floor(v.created / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    Driver: 'local',
    Labels: v.labels,
    Mountpoint: `${VOLUME_ROOT}/${v.name}/_data`,
    Name: v.name,
    Options: v.options,
    Scope: 'local',
  };
}

/** `GET /volumes` and prune filters: name (substring), driver, label, dangling. */
export function volumeMatches(f: Filters, v: SimVolume, used: boolean): boolean {
  const names = f.get('name');
  if (names && !names.some((n) => v.name.includes(n))) return false;
  const drivers = f.get('driver');
  if (drivers && !drivers.includes('local')) return false;
  if (!labelMatch(f, 'label', v.labels ?? {})) return false;
  const dangling = f.get('dangling');
  if (dangling && dangling.length > 0) {
    const want = dangling[0] === 'true' || dangling[0] === '1';
    if (want === used) return false;
  }
  return true;
}

/** What a create request mounts: the spec dockerd would check, before any volume is created. */
interface MountSpec {
  type: SimMount['type'];
  source: string;
  destination: string;
  rw: boolean;
  mode: string;
}

function invalidSpec(spec: string, why: string): EngineError {
  return badRequest(`invalid volume specification: '${spec}': ${why}`);
}

/** Parses one `HostConfig.Binds` entry (`name:/dir[:ro]`, `/host:/dir[:rw]`). */
function bindSpec(spec: string): MountSpec {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw invalidSpec(spec, 'invalid mount config');
  const [source = '', target = '', mode = ''] = parts;
  if (!target.startsWith('/')) {
    throw invalidSpec(
      spec,
      `invalid mount config for type "volume": invalid mount path: '${target}' mount path must be absolute`,
    );
  }
  const flags = mode.split(',').filter((x) => x !== '');
  const bind = source.startsWith('/');
  if (!bind && source !== '') checkVolumeName(source);
  return {
    type: bind ? 'bind' : 'volume',
    source,
    destination: cleanPath(target),
    rw: !flags.includes('ro'),
    mode: bind ? mode : mode || 'z',
  };
}

/** Parses one `HostConfig.Mounts` entry. */
function mountSpec(m: unknown): MountSpec {
  const o = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
  const type = o.Type === 'bind' || o.Type === 'tmpfs' ? o.Type : 'volume';
  const target = typeof o.Target === 'string' ? o.Target : '';
  if (!target.startsWith('/'))
    throw badRequest(
      `invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`,
    );
  return {
    type,
    source: typeof o.Source === 'string' ? o.Source : '',
    destination: cleanPath(target),
    rw: o.ReadOnly !== true,
    mode: '',
  };
}

/** Every mount a create body asks for (Binds, Mounts, then Config.Volumes not covered), checked. */
export function mountSpecs(hostConfig: Record<string, unknown>, config: ContainerConfig): MountSpec[] {
  const specs: MountSpec[] = [];
  const binds = Array.isArray(hostConfig.Binds) ? (hostConfig.Binds as unknown[]) : [];
  for (const b of binds) if (typeof b === 'string') specs.push(bindSpec(b));
  const mounts = Array.isArray(hostConfig.Mounts) ? (hostConfig.Mounts as unknown[]) : [];
  for (const m of mounts) specs.push(mountSpec(m));
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.destination)) throw badRequest(`Duplicate mount point: ${s.destination}`);
    seen.add(s.destination);
  }
  for (const dir of Object.keys(config.Volumes ?? {})) {
    const destination = cleanPath(dir);
    if (seen.has(destination)) continue;
    seen.add(destination);
    specs.push({ type: 'volume', source: '', destination, rw: true, mode: '' });
  }
  return specs;
}

/** Creates what the specs need (named volumes on first use, anonymous ones) and returns the mounts. */
export function attachMounts(
  store: VolumeStore,
  specs: readonly MountSpec[],
  now: number,
  created: (v: SimVolume) => void,
): SimMount[] {
  return specs.map((s) => {
    if (s.type === 'bind') {
      return { ...s, name: '', tree: store.bindTree(s.source) };
    }
    if (s.type === 'tmpfs') return { ...s, name: '', source: '', tree: new Map() };
    const { volume, fresh } = store.create({ Name: s.source }, now);
    if (fresh) created(volume);
    return { ...s, name: volume.name, source: `${VOLUME_ROOT}/${volume.name}/_data`, tree: volume.tree };
  });
}

/** A container's mounts as inspect and list rows show them. */
export function mountsDocument(c: SimContainer): Record<string, unknown>[] {
  return c.mounts.map((m) =>
    m.type === 'volume'
      ? {
          Type: 'volume',
          Name: m.name,
          Source: m.source,
          Destination: m.destination,
          Driver: 'local',
          Mode: m.mode,
          RW: m.rw,
          Propagation: '',
        }
      : {
          Type: m.type,
          Source: m.source,
          Destination: m.destination,
          Mode: m.mode,
          RW: m.rw,
          Propagation: m.type === 'bind' ? 'rprivate' : '',
        },
  );
}
