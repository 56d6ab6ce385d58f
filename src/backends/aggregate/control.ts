/**
 * The aggregate's `control` message: add a node (only the stages a run-time node may be, see
 * {@link checkRuntimeChild}), remove one, or list them — secrets redacted, since the list may go back
 * to a session peer.
 * @module
 */
import { ErrorCode, SwarmError } from '../../errors.js';
import type { DockerResult } from '../docker/api.js';
import { redactSecrets } from '../secrets.js';
import { checkRuntimeChild, nodeSpecs } from './args.js';
import type { Cluster } from './cluster.js';

/** A `control` message's args. */
export type ControlArgs =
  | { action: 'add'; command: string; name?: string }
  | { action: 'remove'; name: string }
  | { action: 'list' };

/** Carries out one `control` message on `cluster`; answers the node list. */
export async function controlCluster(cluster: Cluster, args: ControlArgs): Promise<DockerResult> {
  if (args.action === 'add') {
    const [spec] = nodeSpecs(
      [args.name ? `${args.name}=${args.command}` : args.command],
      cluster.nodes.length + 1,
    );
    if (!spec) throw new SwarmError(ErrorCode.InvalidArgument, 'aggregate: control add needs a command');
    checkRuntimeChild(spec.command, 'control add');
    await cluster.add(spec);
  } else if (args.action === 'remove') {
    if (!cluster.remove(args.name)) {
      throw new SwarmError(ErrorCode.NotFound, `no node ${args.name}`, { details: { status: 404 } });
    }
  } else if (args.action !== 'list') {
    throw new SwarmError(
      ErrorCode.InvalidArgument,
      `aggregate: unknown control action ${(args as { action: string }).action}`,
    );
  }
  return {
    status: 200,
    body: cluster.nodes.map((n) => ({
      name: n.name,
      // Commands may carry a link token (remote --token); the list goes back to a peer.
      command: redactSecrets(n.command),
      health: n.health,
      lastError: n.lastError === undefined ? undefined : redactSecrets(n.lastError),
    })),
  };
}
