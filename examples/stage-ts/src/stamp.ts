/**
 * A user stage in TypeScript: adds a label to every container created through it. Build with `npm run
 * build`, then run it between a front end and a back end:
 *
 *     swarmd 'dockerserver unix:///tmp/stamp-ts.sock' './dist/stamp.js team=blue' 'simulator n1'
 */
import { type DockerArgs, defineStage, ErrorCode, type Message, SwarmError } from 'libswarm-ts';

/** `message` with `key=value` added to the labels of a container create; any other request unchanged. */
function stamp(message: Message, key: string, value: string): Message {
  const args = message.args as DockerArgs | undefined;
  if (args?.op !== 'container.create') return message;
  // Bodies may travel as JSON bytes; parse them before editing.
  const raw = args.body instanceof Uint8Array ? JSON.parse(Buffer.from(args.body).toString()) : args.body;
  const body = (raw ?? {}) as { Labels?: Record<string, string> };
  return { ...message, args: { ...args, body: { ...body, Labels: { ...body.Labels, [key]: value } } } };
}

export default defineStage({
  name: 'stamp',
  summary: 'adds a label to every container it creates',
  usage: 'stamp key=value',
  example: 'stamp team=blue',
  create(args, ctx) {
    const [key = 'stamped', value = 'yes'] = (args[0] ?? 'stamped=yes').split('=');
    const next = ctx.downstream;
    // The chain never starts a middle stage (the default role) without a next stage; this narrows the type.
    if (!next) throw new SwarmError(ErrorCode.InvalidArgument, `${ctx.name}: stamp needs a stage after it`);
    return { handle: (message) => next.send(stamp(message, key, value)) };
  },
});
