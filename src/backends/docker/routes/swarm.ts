/**
 * Docker swarm mode: the swarm, nodes, services, tasks, secrets, configs. Passed through to one daemon
 * (a manager): swarmd's aggregate is its own cluster layer and does not merge a swarm's objects.
 * Ids are one path segment (dockerd routes these with `{id}`).
 * @module
 */
import { rowsOf } from './types.js';

const AUTH = ['x-registry-auth'] as const;
const LOGS = { answer: 'stream' } as const;

/** The swarm itself. */
export const SWARM_ROUTES = rowsOf({ object: 'swarm', fanout: 'any' }, [
  ['swarm.inspect', 'SwarmInspect', 'GET', '/swarm', 'get'],
  ['swarm.init', 'SwarmInit', 'POST', '/swarm/init', 'spawn'],
  ['swarm.join', 'SwarmJoin', 'POST', '/swarm/join', 'connect'],
  ['swarm.leave', 'SwarmLeave', 'POST', '/swarm/leave', 'stop'],
  ['swarm.update', 'SwarmUpdate', 'POST', '/swarm/update', 'set'],
  ['swarm.unlockkey', 'SwarmUnlockkey', 'GET', '/swarm/unlockkey', 'get'],
  ['swarm.unlock', 'SwarmUnlock', 'POST', '/swarm/unlock', 'set'],
]);

/** Nodes of the swarm. */
export const NODE_ROUTES = rowsOf({ object: 'node', fanout: 'any' }, [
  ['node.list', 'NodeList', 'GET', '/nodes', 'ls'],
  ['node.inspect', 'NodeInspect', 'GET', '/nodes/{id}', 'get'],
  ['node.remove', 'NodeDelete', 'DELETE', '/nodes/{id}', 'remove'],
  ['node.update', 'NodeUpdate', 'POST', '/nodes/{id}/update', 'set'],
]);

/** Services and their tasks. */
export const SERVICE_ROUTES = rowsOf({ object: 'service', fanout: 'any' }, [
  ['service.list', 'ServiceList', 'GET', '/services', 'ls'],
  ['service.create', 'ServiceCreate', 'POST', '/services/create', 'spawn', { headers: AUTH }],
  ['service.inspect', 'ServiceInspect', 'GET', '/services/{id}', 'get'],
  ['service.remove', 'ServiceDelete', 'DELETE', '/services/{id}', 'remove'],
  ['service.update', 'ServiceUpdate', 'POST', '/services/{id}/update', 'set', { headers: AUTH }],
  ['service.logs', 'ServiceLogs', 'GET', '/services/{id}/logs', 'logs', LOGS],
]);

/** Tasks (a service's containers as the swarm sees them). */
export const TASK_ROUTES = rowsOf({ object: 'task', fanout: 'any' }, [
  ['task.list', 'TaskList', 'GET', '/tasks', 'ls'],
  ['task.inspect', 'TaskInspect', 'GET', '/tasks/{id}', 'get'],
  ['task.logs', 'TaskLogs', 'GET', '/tasks/{id}/logs', 'logs', LOGS],
]);

/** Secrets and configs. */
export const SECRET_ROUTES = rowsOf({ object: 'secret', fanout: 'any' }, [
  ['secret.list', 'SecretList', 'GET', '/secrets', 'ls'],
  ['secret.create', 'SecretCreate', 'POST', '/secrets/create', 'spawn'],
  ['secret.inspect', 'SecretInspect', 'GET', '/secrets/{id}', 'get'],
  ['secret.remove', 'SecretDelete', 'DELETE', '/secrets/{id}', 'remove'],
  ['secret.update', 'SecretUpdate', 'POST', '/secrets/{id}/update', 'set'],
]);

/** Configs. */
export const CONFIG_ROUTES = rowsOf({ object: 'config', fanout: 'any' }, [
  ['config.list', 'ConfigList', 'GET', '/configs', 'ls'],
  ['config.create', 'ConfigCreate', 'POST', '/configs/create', 'spawn'],
  ['config.inspect', 'ConfigInspect', 'GET', '/configs/{id}', 'get'],
  ['config.remove', 'ConfigDelete', 'DELETE', '/configs/{id}', 'remove'],
  ['config.update', 'ConfigUpdate', 'POST', '/configs/{id}/update', 'set'],
]);
