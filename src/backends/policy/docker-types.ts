/**
 * The request bodies the policy reads, as the Go types dockerd 20.10 decodes them into (moby
 * api/types, runconfig): only the fields a rule looks at, and the structs that lead to them.
 * @module
 */
import type { GoType } from './go-decode.js';

const str: GoType = { t: 'string' };
const bool: GoType = { t: 'bool' };
const strs: GoType = { t: 'slice', of: str };
const strMap: GoType = { t: 'map', of: str };

/** mount.Mount (HostConfig.Mounts[]). */
const mount: GoType = {
  t: 'struct',
  fields: {
    Type: str,
    Source: str,
    Target: str,
    ReadOnly: bool,
    BindOptions: { t: 'struct', ptr: true, fields: { Propagation: str, NonRecursive: bool } },
    VolumeOptions: {
      t: 'struct',
      ptr: true,
      fields: {
        NoCopy: bool,
        Labels: strMap,
        DriverConfig: { t: 'struct', ptr: true, fields: { Name: str, Options: strMap } },
      },
    },
  },
};

/** container.Resources: embedded in HostConfig (its fields are HostConfig's) and UpdateConfig. */
export const RESOURCES_FIELDS: Readonly<Record<string, GoType>> = {
  Devices: {
    t: 'slice',
    of: { t: 'struct', fields: { PathOnHost: str, PathInContainer: str, CgroupPermissions: str } },
  },
  DeviceCgroupRules: strs,
  DeviceRequests: { t: 'slice', of: { t: 'struct', fields: { Driver: str, Count: { t: 'number' } } } },
  CgroupParent: str,
};

/** container.HostConfig (with Resources promoted). */
export const HOST_CONFIG_FIELDS: Readonly<Record<string, GoType>> = {
  Binds: strs,
  NetworkMode: str,
  VolumeDriver: str,
  VolumesFrom: strs,
  CapAdd: { t: 'strslice' },
  CgroupnsMode: str,
  IpcMode: str,
  PidMode: str,
  Privileged: bool,
  SecurityOpt: strs,
  UTSMode: str,
  UsernsMode: str,
  Mounts: { t: 'slice', of: mount },
  MaskedPaths: strs,
  ReadonlyPaths: strs,
  ...RESOURCES_FIELDS,
};

const hostConfig: GoType = { t: 'struct', ptr: true, fields: HOST_CONFIG_FIELDS };

/** container.Config fields the policy reads or rewrites. */
const CONFIG_FIELDS: Readonly<Record<string, GoType>> = {
  Image: str,
  User: str,
  Labels: strMap,
};

/**
 * runconfig.ContainerConfigWrapper (POST /containers/create): `*container.Config` and, deprecated but
 * still read by dockerd 20.10 when there is no `HostConfig` member, `*container.HostConfig` are
 * embedded, so their fields are members of the top-level object too.
 */
export const CREATE_BODY: GoType = {
  t: 'struct',
  fields: {
    ...HOST_CONFIG_FIELDS,
    ...CONFIG_FIELDS,
    HostConfig: hostConfig,
    NetworkingConfig: {
      t: 'struct',
      ptr: true,
      fields: { EndpointsConfig: { t: 'map', of: { t: 'struct', ptr: true, fields: {} } } },
    },
  },
};

/** types.ExecConfig (POST /containers/{id}/exec). */
export const EXEC_BODY: GoType = { t: 'struct', fields: { Privileged: bool, User: str } };

/** volume.VolumeCreateBody (POST /volumes/create). */
export const VOLUME_BODY: GoType = { t: 'struct', fields: { Name: str, Driver: str, DriverOpts: strMap } };

/** types.NetworkCreateRequest (POST /networks/create). */
export const NETWORK_BODY: GoType = {
  t: 'struct',
  fields: { Name: str, Driver: str, Options: strMap, ConfigFrom: { t: 'any' } },
};

/** container.UpdateConfig (POST /containers/{id}/update): Resources and a restart policy. */
export const UPDATE_BODY: GoType = { t: 'struct', fields: { ...RESOURCES_FIELDS } };
