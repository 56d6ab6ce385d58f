import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Message } from '../../src/actors/message.js';
import { Chain } from '../../src/backends/chain.js';
import { defineStage, type StageDefinition } from '../../src/backends/stage.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode } from '../../src/errors.js';
import { quietLog, recorder } from './support.js';

// Chains that could only fail are refused before anything starts; stages may be given as objects and as
// module paths.

const dir = mkdtempSync(join(tmpdir(), 'swd-order-'));
const chains: Chain[] = [];
afterAll(async () => {
  for (const c of chains) await c.stop();
  rmSync(dir, { recursive: true, force: true });
});

function chain(): Chain {
  const c = new Chain({ log: quietLog, clock: new SimulatedClock(), cwd: dir });
  chains.push(c);
  return c;
}

/** Answers every request with its own name and arguments. */
const answer = defineStage({
  name: 'answer',
  role: 'terminal',
  summary: 'answers',
  usage: 'answer [words…]',
  example: 'answer hi',
  create: (args, ctx) => ({
    handle(m: Message) {
      void m.ret?.send({ verb: 'set', args: { from: ctx.name, args, seen: m.args } });
      m.ret?.close();
    },
  }),
});

/** Adds its first argument to every request's args, then forwards (role middle, the default). */
const tag: StageDefinition = {
  name: 'tag',
  summary: 'tags',
  usage: 'tag word',
  example: 'tag x',
  create: (args, ctx) => ({
    handle: (m: Message) => ctx.downstream?.send({ ...m, args: { ...(m.args as object), tag: args[0] } }),
  }),
};

async function ask(c: Chain): Promise<Message | undefined> {
  const ret = recorder();
  await c.head?.send({ verb: 'get', args: {}, ret });
  return (await ret.done)[0];
}

const invalid = (message: RegExp) => ({
  code: ErrorCode.InvalidArgument,
  message: expect.stringMatching(message),
});

describe('chain order', () => {
  it('refuses a front end after another stage, naming the fix and the working order', async () => {
    const c = chain();
    await expect(c.start(['simulator', 'dockerserver unix:///tmp/never.sock'])).rejects.toMatchObject(
      invalid(
        /^argument 1 "simulator": simulator answers every request itself.*must be the last stage; in this order it works: 'dockerserver unix:\/\/\/tmp\/never.sock' 'simulator'$/,
      ),
    );
    expect(c.stages).toEqual([]);
    await expect(
      chain().start(['debug', 'listen unix:///tmp/never.sock', 'simulator']),
    ).rejects.toMatchObject(
      invalid(
        /^argument 2 "listen unix:\/\/\/tmp\/never.sock": listen takes requests from outside the chain, so it must be the first stage, not after debug/,
      ),
    );
  });

  it('refuses a terminal stage before another, and a forwarding stage with nothing after it', async () => {
    await expect(
      chain().start(['dockerserver unix:///tmp/never.sock', 'simulator', 'debug']),
    ).rejects.toMatchObject(invalid(/^argument 2 "simulator": simulator answers every request itself/));
    await expect(chain().start(['dockerserver unix:///tmp/never.sock'])).rejects.toMatchObject(
      invalid(
        /^argument 1 "dockerserver unix:\/\/\/tmp\/never.sock": dockerserver passes requests on to a next stage, but none follows it; add one after it/,
      ),
    );
    await expect(chain().start([tag])).rejects.toMatchObject(
      invalid(/^argument 1 \(stage "tag"\): tag passes requests on/),
    );
  });

  it('refuses a child stage (aggregate) that would need a next stage', async () => {
    const c = chain();
    await c.start([answer]);
    await expect(c.spawnStage('debug', 'child')).rejects.toMatchObject(
      invalid(/child stage "debug": debug passes requests on to a next stage, and a child stage has none/),
    );
    await expect(c.spawnStage('simulator kid', 'kid')).resolves.toBeDefined();
  });
});

describe('stages as objects', () => {
  it('runs definitions with and without arguments next to command lines', async () => {
    const c = chain();
    await c.start([{ stage: tag, args: ['blue'] }, 'debug', { stage: answer, args: ['a', 'b'] }]);
    expect(c.stages.map((s) => s.name)).toEqual(['tag#1', 'debug#2', 'answer#3']);
    expect(await ask(c)).toEqual({
      verb: 'set',
      args: { from: 'answer#3', args: ['a', 'b'], seen: { tag: 'blue' } },
    });
    const bare = chain();
    await bare.start([answer]);
    expect((await ask(bare))?.args).toMatchObject({ args: [] });
  });
});

describe('stages as module paths', () => {
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  write(
    'tag.mjs',
    `export default { name: 'modtag', summary: '', usage: 'modtag word', example: 'modtag x',
       create: (args, ctx) => ({ handle: (m) => ctx.downstream.send({ ...m, args: { tag: args[0] } }) }) };`,
  );
  write('broken.mjs', 'export default {;');
  write('nodefault.mjs', 'export const stage = 1;');
  write('nocreate.mjs', "export default { name: 'half' };");

  it('loads ./x.mjs relative to cwd (and an absolute path), with its arguments', async () => {
    const c = chain();
    await c.start(['./tag.mjs green', { stage: answer }]);
    expect(c.stages[0]?.name).toBe('modtag#1');
    expect((await ask(c))?.args).toMatchObject({ seen: { tag: 'green' } });
    const abs = chain();
    await abs.start([`${join(dir, 'tag.mjs')} red`, answer]);
    expect((await ask(abs))?.args).toMatchObject({ seen: { tag: 'red' } });
  });

  it('a module that does not load or exports no stage is a usage error naming the path and the fix', async () => {
    const file = (n: string) => (n ? join(dir, n) : dir).replace(/[/.]/g, '\\$&');
    await expect(chain().start(['./missing.mjs', answer])).rejects.toMatchObject(
      invalid(
        new RegExp(
          `^argument 1: stage module ${file('missing.mjs')} does not exist; check the path \\(relative paths are resolved against ${file('')}`,
        ),
      ),
    );
    await expect(chain().start(['./broken.mjs', answer])).rejects.toMatchObject(
      invalid(
        new RegExp(
          `^argument 1: stage module ${file('broken.mjs')} did not load: .*export default defineStage`,
        ),
      ),
    );
    await expect(chain().start(['./nodefault.mjs', answer])).rejects.toMatchObject(
      invalid(/nodefault\.mjs: it has no default export; the module must export default defineStage\(\{/),
    );
    await expect(chain().start(['./nocreate.mjs', answer])).rejects.toMatchObject(
      invalid(/nocreate\.mjs: its default export "half" has no create\(args, ctx\) function/),
    );
  });
});
