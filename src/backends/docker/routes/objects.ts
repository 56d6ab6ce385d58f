/**
 * Networks, volumes and plugins: daemon-local objects addressed by name or id. Names keep slashes
 * (`{name*}`: dockerd routes these with `{id:.*}`/`{name:.*}`; plugin names are `user/name:tag`).
 * @module
 */
import { rowsOf } from './types.js';

/** Network routes. */
export const NETWORK_ROUTES = rowsOf({ object: 'network', fanout: 'holder' }, [
  ['network.list', 'NetworkList', 'GET', '/networks', 'ls', { fanout: 'merge' }],
  ['network.create', 'NetworkCreate', 'POST', '/networks/create', 'spawn', { fanout: 'merge' }],
  ['network.prune', 'NetworkPrune', 'POST', '/networks/prune', 'prune', { fanout: 'merge' }],
  ['network.inspect', 'NetworkInspect', 'GET', '/networks/{name*}', 'get'],
  ['network.remove', 'NetworkDelete', 'DELETE', '/networks/{name*}', 'remove'],
  ['network.connect', 'NetworkConnect', 'POST', '/networks/{name*}/connect', 'connect'],
  ['network.disconnect', 'NetworkDisconnect', 'POST', '/networks/{name*}/disconnect', 'connect'],
]);

/** Volume routes. */
export const VOLUME_ROUTES = rowsOf({ object: 'volume', fanout: 'holder' }, [
  ['volume.list', 'VolumeList', 'GET', '/volumes', 'ls', { fanout: 'merge' }],
  ['volume.create', 'VolumeCreate', 'POST', '/volumes/create', 'spawn', { fanout: 'merge' }],
  ['volume.prune', 'VolumePrune', 'POST', '/volumes/prune', 'prune', { fanout: 'merge' }],
  ['volume.inspect', 'VolumeInspect', 'GET', '/volumes/{name*}', 'get'],
  ['volume.remove', 'VolumeDelete', 'DELETE', '/volumes/{name*}', 'remove'],
]);

const AUTH = ['x-registry-auth'] as const;

/** Plugin routes (managed on one daemon). */
export const PLUGIN_ROUTES = rowsOf({ object: 'plugin', fanout: 'any' }, [
  ['plugin.list', 'PluginList', 'GET', '/plugins', 'ls'],
  ['plugin.privileges', 'GetPluginPrivileges', 'GET', '/plugins/privileges', 'get', { headers: AUTH }],
  ['plugin.install', 'PluginPull', 'POST', '/plugins/pull', 'spawn', { answer: 'stream', headers: AUTH }],
  [
    'plugin.create',
    'PluginCreate',
    'POST',
    '/plugins/create',
    'spawn',
    { body: 'upload', headers: ['content-type'] },
  ],
  ['plugin.inspect', 'PluginInspect', 'GET', '/plugins/{ref*}/json', 'get'],
  ['plugin.remove', 'PluginDelete', 'DELETE', '/plugins/{ref*}', 'remove'],
  ['plugin.enable', 'PluginEnable', 'POST', '/plugins/{ref*}/enable', 'start'],
  ['plugin.disable', 'PluginDisable', 'POST', '/plugins/{ref*}/disable', 'stop'],
  [
    'plugin.upgrade',
    'PluginUpgrade',
    'POST',
    '/plugins/{ref*}/upgrade',
    'spawn',
    { answer: 'stream', headers: AUTH },
  ],
  ['plugin.push', 'PluginPush', 'POST', '/plugins/{ref*}/push', 'file', { answer: 'stream', headers: AUTH }],
  ['plugin.set', 'PluginSet', 'POST', '/plugins/{ref*}/set', 'set'],
]);
