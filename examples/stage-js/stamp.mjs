// A user stage in plain JavaScript: adds a label to every container created through it.
//   swarmd 'dockerserver unix:///tmp/stamp.sock' './stamp.mjs team=blue' 'simulator n1'
import { defineStage } from 'libswarm-ts';

export default defineStage({
  name: 'stamp',
  summary: 'adds a label to every container it creates',
  usage: 'stamp key=value',
  example: 'stamp team=blue',
  create(args, ctx) {
    const [k, v] = (args[0] ?? 'stamped=yes').split('=');
    return {
      handle(message) {
        const a = message.args;
        if (a && a.op === 'container.create') {
          let body = a.body;
          // Bodies may travel as JSON bytes; parse them before editing.
          if (body instanceof Uint8Array) body = JSON.parse(Buffer.from(body).toString());
          body = { ...(body ?? {}), Labels: { ...(body?.Labels ?? {}), [k]: v } };
          message = { ...message, args: { ...a, body } };
        }
        return ctx.downstream.send(message);
      },
    };
  },
});
