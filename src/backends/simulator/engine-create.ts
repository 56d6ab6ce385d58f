/**
 * `POST /containers/create` as dockerd checks it: the name (valid, free), the image (given, pulled),
 * the command (image default unless overridden), and the `Config`/`HostConfig` the container keeps.
 * @module
 */
import type { ContainerConfig, SimContainer } from './container.js';
import { checkCreateBody } from './create-schema.js';
import type { Engine } from './engine.js';
import { badRequest, conflict, EngineError } from './engine-errors.js';
import { generateName, randomId, VALID_NAME } from './ids.js';
import { normalizeRef, type SimImage } from './images.js';

/** dockerd 20.10's HostConfig defaults, under whatever the request sets. */
const DEFAULT_HOST_CONFIG: Record<string, unknown> = {
  Binds: null,
  ContainerIDFile: '',
  LogConfig: { Type: 'json-file', Config: {} },
  NetworkMode: 'default',
  PortBindings: {},
  RestartPolicy: { Name: 'no', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumeDriver: '',
  VolumesFrom: null,
  CapAdd: null,
  CapDrop: null,
  Dns: [],
  DnsOptions: [],
  DnsSearch: [],
  ExtraHosts: null,
  Privileged: false,
  PublishAllPorts: false,
  ReadonlyRootfs: false,
  ConsoleSize: [0, 0],
  Isolation: '',
  Memory: 0,
  NanoCpus: 0,
};

/** What a create request decides; the engine adds the creation time and order. */
export interface CreateSpec {
  id: string;
  name: string;
  config: ContainerConfig;
  hostConfig: Record<string, unknown>;
  image: SimImage;
  path: string;
  args: string[];
}

/** dockerd's 400 for a name outside `[a-zA-Z0-9][a-zA-Z0-9_.-]`. */
export function invalidName(name: string): EngineError {
  return badRequest(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
}

/** dockerd's 409 for a name another container holds. */
export function nameConflict(name: string, holder: SimContainer): EngineError {
  return conflict(
    `Conflict. The container name "/${name}" is already in use by container "${holder.id}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
}

function strings(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

/** Validates a create request like dockerd (same errors, same order) and builds the container's spec. */
export function parseCreate(engine: Engine, query: Record<string, string>, body: unknown): CreateSpec {
  // dockerd decodes the body before it looks at anything: wrong JSON types fail first.
  checkCreateBody(body);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('config cannot be empty in order to create a container');
  }
  const b = body as Record<string, unknown>;
  const requested = query.name ?? '';
  if (requested !== '' && !VALID_NAME.test(requested)) throw invalidName(requested);
  const containers = engine.containers;
  const name = requested.replace(/^\//, '') || generateName((n) => containers.byName(n) !== undefined);
  const holder = containers.byName(name);
  if (holder) throw nameConflict(name, holder);
  const ref = typeof b.Image === 'string' ? b.Image : '';
  if (ref === '') throw badRequest('No image specified');
  const image = engine.images.resolve(ref);
  if (!image)
    throw new EngineError(
      404,
      `No such image: ${/^(sha256:)?[0-9a-f]+$/.test(ref) ? ref : normalizeRef(ref)}`,
    );
  const entrypoint = strings(b.Entrypoint);
  const cmd = strings(b.Cmd) ?? (entrypoint ? null : image.cmd);
  const argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw badRequest('No command specified');
  const id = randomId();
  // Typed by checkCreateBody: an object of strings, where Go decodes a null value as "". fromEntries
  // keeps a `__proto__` label an own key (assignment would set the prototype instead).
  const given = Object.entries((b.Labels ?? {}) as Record<string, string | null>);
  const labels: Record<string, string> = Object.fromEntries(given.map(([k, v]) => [k, v ?? '']));
  const config: ContainerConfig = {
    Hostname: typeof b.Hostname === 'string' && b.Hostname !== '' ? b.Hostname : id.slice(0, 12),
    Domainname: typeof b.Domainname === 'string' ? b.Domainname : '',
    User: typeof b.User === 'string' ? b.User : '',
    AttachStdin: b.AttachStdin === true,
    AttachStdout: b.AttachStdout === true,
    AttachStderr: b.AttachStderr === true,
    ...(b.ExposedPorts ? { ExposedPorts: b.ExposedPorts as Record<string, object> } : {}),
    Tty: b.Tty === true,
    OpenStdin: b.OpenStdin === true,
    StdinOnce: b.StdinOnce === true,
    Env: [...image.env, ...(strings(b.Env) ?? [])],
    Cmd: cmd,
    Image: ref,
    Volumes: (b.Volumes as Record<string, object> | undefined) ?? null,
    WorkingDir: typeof b.WorkingDir === 'string' ? b.WorkingDir : '',
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: labels,
    ...(typeof b.StopSignal === 'string' ? { StopSignal: b.StopSignal } : {}),
    ...(typeof b.StopTimeout === 'number' ? { StopTimeout: b.StopTimeout } : {}),
  };
  const hostConfig = { ...DEFAULT_HOST_CONFIG, ...((b.HostConfig as Record<string, unknown>) ?? {}) };
  const [path = '', ...args] = argv;
  return { id, name, config, hostConfig, image, path, args };
}
