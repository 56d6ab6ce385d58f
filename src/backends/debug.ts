/**
 * debug: an interceptor. Logs every request passing through — verb, a short summary of its
 * arguments — and each reply with its latency, then forwards to the next stage unchanged.
 * @module
 */
import type { Message } from '../actors/message.js';
import { ReplyProxy, refuse } from '../actors/reply.js';
import { ErrorCode, SwarmError } from '../errors.js';
import type { StageDefinition, StageInstance } from './stage.js';

/** One line summarising a message's args (Docker ops show op and id). */
export function summarize(args: unknown): string {
  if (args === undefined || args === null) return '';
  if (typeof args !== 'object') return String(args).slice(0, 80);
  const a = args as Record<string, unknown>;
  if (typeof a.op === 'string') return [a.op, typeof a.id === 'string' ? a.id : ''].filter(Boolean).join(' ');
  if (typeof a.message === 'string') return a.message.slice(0, 120);
  if (typeof a.status === 'number') return `status ${a.status}`;
  const json = JSON.stringify(a);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/** The debug stage definition. */
export const debugStage: StageDefinition = {
  name: 'debug',
  summary: 'log every message and its replies (verb, args, latency), then forward it',
  usage: 'debug',
  example: "swarmd 'dockerserver unix:///tmp/s.sock' debug simulator",
  help: 'Sits between two stages. Each request is logged as "--> verb summary" and each reply as "<-- verb summary (N ms)". Use --log-level info (the default) or lower to see them.',
  create(args, ctx): StageInstance {
    if (args.length > 0) {
      throw new SwarmError(ErrorCode.InvalidArgument, `debug takes no arguments, got "${args.join(' ')}"`);
    }
    return {
      describe: () =>
        ctx.downstream
          ? 'logging and forwarding every message'
          : 'logging messages (no next stage: requests get an error)',
      handle(message: Message) {
        const t0 = ctx.clock.now();
        ctx.log.info(`--> ${message.verb} ${summarize(message.args)}`);
        const ret =
          message.ret &&
          new ReplyProxy(message.ret, {
            onReply: (reply) =>
              ctx.log.info(
                `<-- ${reply.verb} ${summarize(reply.args)} (${(ctx.clock.now() - t0).toFixed(1)} ms)`,
              ),
          });
        if (!ctx.downstream) {
          const err = new SwarmError(
            ErrorCode.NotImplemented,
            `debug: no stage after debug to handle ${message.verb}`,
            {
              details: { status: 501 },
            },
          );
          // Through the proxy, so the refusal is logged like any reply.
          refuse({ ...message, ret }, err);
          return;
        }
        const forwarded: Message = { ...message };
        if (ret) forwarded.ret = ret;
        return ctx.downstream.send(forwarded);
      },
    };
  },
};
