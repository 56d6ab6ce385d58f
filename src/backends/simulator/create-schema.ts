/**
 * The JSON types of a container create body, checked the way dockerd 20.10 decodes it (Go's
 * encoding/json into `runconfig.ContainerConfigWrapper`): a value of the wrong JSON type is refused
 * with Go's own message and dockerd 20.10's status (500: it does not mark decode errors as bad
 * parameters), e.g. `json: cannot unmarshal number into Go struct field ContainerConfigWrapper.Labels
 * of type string`. Only what the simulator keeps and shows is typed; other keys pass as dockerd
 * ignores them, but no value deeper than {@link MAX_BODY_DEPTH} is kept: a stored label nested 20,000
 * levels deep made every later `ps` fail with "Maximum call stack size exceeded".
 * @module
 */
import { MAX_JSON_DEPTH } from '../docker/http-body.js';
import { EngineError } from './engine-errors.js';

/** A Go type, as far as decoding JSON into it goes. `name` is how Go prints it in errors. */
type GoType =
  | { k: 'string' | 'bool' | 'empty' | 'strslice'; name: string }
  | { k: 'int'; name: string; min: number; max: number }
  | { k: 'slice' | 'map'; name: string; of: GoType }
  | { k: 'struct'; name: string; short: string; fields: Record<string, GoType> };

const str = (name = 'string'): GoType => ({ k: 'string', name });
const bool: GoType = { k: 'bool', name: 'bool' };
const int: GoType = { k: 'int', name: 'int', min: -(2 ** 63), max: 2 ** 63 - 1 };
const int64: GoType = { ...int, name: 'int64' };
const uint: GoType = { k: 'int', name: 'uint', min: 0, max: 2 ** 64 - 1 };
const strings: GoType = { k: 'slice', name: '[]string', of: str() };
const strMap: GoType = { k: 'map', name: 'map[string]string', of: str() };
const empty: GoType = { k: 'empty', name: 'struct {}' };
/** strslice.StrSlice: a string or a list of strings; its own UnmarshalJSON reports the failure. */
const strSlice: GoType = { k: 'strslice', name: 'string' };
const struct = (name: string, fields: Record<string, GoType>): GoType => ({
  k: 'struct',
  name,
  short: name.slice(name.lastIndexOf('.') + 1),
  fields,
});

const PORT_BINDING = struct('nat.PortBinding', { HostIp: str(), HostPort: str() });

const HOST_CONFIG = struct('container.HostConfig', {
  Binds: strings,
  ContainerIDFile: str(),
  LogConfig: struct('container.LogConfig', { Type: str(), Config: strMap }),
  NetworkMode: str('container.NetworkMode'),
  PortBindings: {
    k: 'map',
    name: 'nat.PortMap',
    of: { k: 'slice', name: '[]nat.PortBinding', of: PORT_BINDING },
  },
  RestartPolicy: struct('container.RestartPolicy', { Name: str(), MaximumRetryCount: int }),
  AutoRemove: bool,
  VolumeDriver: str(),
  VolumesFrom: strings,
  CapAdd: strSlice,
  CapDrop: strSlice,
  Dns: strings,
  DnsOptions: strings,
  DnsSearch: strings,
  ExtraHosts: strings,
  Privileged: bool,
  PublishAllPorts: bool,
  ReadonlyRootfs: bool,
  ConsoleSize: { k: 'slice', name: '[2]uint', of: uint },
  Isolation: str('container.Isolation'),
  Memory: int64,
  NanoCpus: int64,
});

/** `runconfig.ContainerConfigWrapper`: `container.Config` (embedded) plus HostConfig. */
const WRAPPER = struct('runconfig.ContainerConfigWrapper', {
  Hostname: str(),
  Domainname: str(),
  User: str(),
  AttachStdin: bool,
  AttachStdout: bool,
  AttachStderr: bool,
  ExposedPorts: { k: 'map', name: 'nat.PortSet', of: empty },
  Tty: bool,
  OpenStdin: bool,
  StdinOnce: bool,
  Env: strings,
  Cmd: strSlice,
  Image: str(),
  Volumes: { k: 'map', name: 'map[string]struct {}', of: empty },
  WorkingDir: str(),
  Entrypoint: strSlice,
  NetworkDisabled: bool,
  MacAddress: str(),
  OnBuild: strings,
  Labels: strMap,
  StopSignal: str(),
  StopTimeout: int,
  Shell: strSlice,
  HostConfig: HOST_CONFIG,
});

/** Deepest nesting of arrays and objects a create body may have: the HTTP edge's limit. */
export const MAX_BODY_DEPTH = MAX_JSON_DEPTH;

/** Go's name for the JSON type of `v` in decode errors. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

interface Failure {
  /** Go's UnmarshalTypeError text. */
  message: string;
  /** Raised by a type's own UnmarshalJSON (strslice): decoding stops there, earlier type errors or not. */
  hard: boolean;
}

/** Where a value sits: the innermost struct's short name and the path of struct fields from the top. */
interface Context {
  struct: string;
  field: string;
}

function mismatch(v: unknown, t: GoType, at: Context | undefined, literal = false): Failure {
  const what = literal ? `number ${String(v)}` : jsonKind(v);
  const into = at ? `Go struct field ${at.struct}.${at.field}` : 'Go value';
  return { message: `json: cannot unmarshal ${what} into ${into} of type ${t.name}`, hard: false };
}

/** The first failure decoding `v` into `t`, in Go's order (hard failures win over earlier type errors). */
function check(v: unknown, t: GoType, at: Context | undefined): Failure | undefined {
  // null into anything is a no-op in Go; undefined is a key an in-process stage left unset (no JSON has it).
  if (v === null || v === undefined) return undefined;
  switch (t.k) {
    case 'string':
      return typeof v === 'string' ? undefined : mismatch(v, t, at);
    case 'bool':
      return typeof v === 'boolean' ? undefined : mismatch(v, t, at);
    case 'int':
      if (typeof v !== 'number') return mismatch(v, t, at);
      return Number.isInteger(v) && v >= t.min && v <= t.max ? undefined : mismatch(v, t, at, true);
    case 'empty':
      return typeof v === 'object' && !Array.isArray(v) ? undefined : mismatch(v, t, at);
    case 'strslice':
      if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string' || x === null)))
        return undefined;
      return { ...mismatch(v, t, at), hard: true };
    case 'slice':
      return Array.isArray(v) ? firstOf(v, t.of, at) : mismatch(v, t, at);
    case 'map':
      return typeof v === 'object' && !Array.isArray(v)
        ? firstOf(Object.values(v as object), t.of, at)
        : mismatch(v, t, at);
    case 'struct':
      return typeof v === 'object' && !Array.isArray(v)
        ? checkStruct(v as Record<string, unknown>, t, at)
        : mismatch(v, t, at);
  }
}

function firstOf(values: unknown[], of: GoType, at: Context | undefined): Failure | undefined {
  let first: Failure | undefined;
  for (const x of values) {
    const f = check(x, of, at);
    if (f?.hard) return f;
    first ??= f;
  }
  return first;
}

function checkStruct(
  v: Record<string, unknown>,
  t: Extract<GoType, { k: 'struct' }>,
  at: Context | undefined,
): Failure | undefined {
  // Go matches keys to fields exactly, else ignoring case.
  const names = Object.keys(t.fields);
  let first: Failure | undefined;
  for (const [key, value] of Object.entries(v)) {
    const name = key in t.fields ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined) continue;
    const field = at ? `${at.field}.${name}` : name;
    const f = check(value, t.fields[name]!, { struct: t.short, field });
    if (f?.hard) return f;
    first ??= f;
  }
  return first;
}

/** The nesting depth of `v` past `limit` (iterative: the value itself may be too deep to recurse into). */
function tooDeep(v: unknown, limit: number): '[' | '{' | undefined {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== 'object' || x === null) continue;
    if (depth + 1 > limit) return Array.isArray(x) ? '[' : '{';
    for (const child of Object.values(x)) if (typeof child === 'object') stack.push([child, depth + 1]);
  }
  return undefined;
}

/**
 * Checks a create body as dockerd decodes it; throws dockerd's 500 with Go's message for a value of
 * the wrong type, or for nesting past {@link MAX_BODY_DEPTH}. `null` is left to the caller (dockerd's 400).
 */
export function checkCreateBody(body: unknown): void {
  const deep = tooDeep(body, MAX_BODY_DEPTH);
  if (deep) throw new EngineError(500, `invalid character '${deep}' exceeded max depth`);
  if (body === null || body === undefined) return;
  // The top level has no struct field around it: "into Go value of type …".
  const failure =
    typeof body === 'object' && !Array.isArray(body)
      ? check(body, WRAPPER, undefined)
      : mismatch(body, WRAPPER, undefined);
  if (failure) throw new EngineError(500, failure.message);
}
