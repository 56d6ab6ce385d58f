// A stage module for the admin tests: passes every request on, and crashes (its handler throws) on
// `docker inspect crash-me`, so a test can make a stage of a real swarmd crash on demand.
export default {
  name: 'crashy',
  summary: 'forwards everything; crashes on docker inspect crash-me',
  usage: 'crashy',
  example: 'crashy',
  create(_args, ctx) {
    return {
      handle(message) {
        const a = message.args;
        if (a && a.op === 'container.inspect' && a.id === 'crash-me')
          throw new Error('crashy: asked to crash');
        return ctx.downstream.send(message);
      },
    };
  },
};
