import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Client } from '../../src/actors/client.js';
import { type Message, VERBS, VerbCode } from '../../src/actors/message.js';
import { Server } from '../../src/actors/server.js';
import {
  checkMessage,
  expectedReplies,
  isReplyVerb,
  VERB_CATALOG,
  verbByCode,
  verbInfo,
} from '../../src/actors/verbs.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode, SwarmError } from '../../src/errors.js';
import { Session, wirePair } from '../../src/libchan/index.js';
import { kSender, type Sender } from '../../src/libchan/types.js';
import { recorder } from './support.js';

describe('verb catalog', () => {
  it('covers every verb once, in contiguous wire-code order, and maps codes back', () => {
    expect(VERB_CATALOG.map((v) => v.verb)).toEqual(VERBS);
    expect(VERB_CATALOG.map((v) => v.code)).toEqual(VERBS.map((_, i) => i));
    for (const verb of VERBS) expect(verbByCode(VerbCode[verb])).toBe(verb);
    expect(verbByCode(VERBS.length)).toBeUndefined();
    expect(verbInfo('watch')).toMatchObject({ code: 12, kind: 'request', replies: ['ack'] });
    expect(VERBS.filter(isReplyVerb)).toEqual(['ack', 'error', 'set']);
    expect(expectedReplies('ls')).toEqual(['set']);
  });

  it('matches the verb table in PROTOCOL.md Part 2 (code and name of every verb)', () => {
    const all = readFileSync('PROTOCOL.md', 'utf8');
    const doc = all.slice(all.indexOf('# Part 2'));
    const rows = [...doc.matchAll(/^\| (\d+) \| `(\w+)` \|/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(VERB_CATALOG.map((v) => [v.code, v.verb]));
  });

  it('checkMessage refuses what is not a message, naming the problem', () => {
    const ret = recorder();
    expect(checkMessage({ verb: 'ls', args: {}, ret }).verb).toBe('ls');
    expect(() => checkMessage('ls')).toThrow(/expected a message \{verb, args\}, got string/);
    expect(() => checkMessage({ verb: 'frobnicate' })).toThrow(/unknown verb "frobnicate"/);
    expect(() => checkMessage({ verb: 'get', ret: 'back' })).toThrowError(
      expect.objectContaining({
        code: ErrorCode.Protocol,
        message: expect.stringMatching(/ret must be a channel/),
      }),
    );
  });
});

describe('DSLs on the catalog', () => {
  const address = (server: Server): Sender<Message> => ({
    [kSender]: true,
    send: (m: Message) => void server.handle(m),
    close() {},
    closed: false,
  });

  it('the not-implemented reply names the server', async () => {
    const ret = recorder();
    await new Server('stage sim#2').handle({ verb: 'top', args: {}, ret });
    expect(ret.replies).toEqual([
      {
        verb: 'error',
        args: {
          message: 'verb top is not implemented by stage sim#2',
          code: ErrorCode.NotImplemented,
          status: 501,
        },
      },
    ]);
  });

  it('a throwing handler whose requester is gone does not reject, and its stream is destroyed', async () => {
    const gone: Sender<Message> = {
      [kSender]: true,
      send: () => {
        throw new SwarmError(ErrorCode.Closed, 'requester left');
      },
      close() {},
      closed: false,
    };
    const stream = new PassThrough();
    const server = new Server().onStart(() => {
      throw new Error('boom');
    });
    await expect(server.handle({ verb: 'start', args: {}, ret: gone, stream })).resolves.toBeUndefined();
    expect(stream.destroyed).toBe(true);
  });

  it('the client checks replies against the catalog: ls answered with ack is an unexpected verb', async () => {
    const server = new Server().onVerb('ls', (m) => void m.ret?.send({ verb: 'ack', args: 'x' }));
    const client = new Client(address(server), { clock: new SimulatedClock() });
    await expect(client.ls()).rejects.toMatchObject({
      code: ErrorCode.UnexpectedVerb,
      message: 'ls: expected set, got ack',
    });
    // Verbs whose catalog allows set or ack take either.
    const both = new Server().onVerb('kill', (m) => void m.ret?.send({ verb: 'ack', args: 'killed' }));
    expect((await new Client(address(both)).call('kill', {})).args).toBe('killed');
  });

  it('a send that throws destroys the stream the request carried', async () => {
    const refusing: Sender<Message> = {
      [kSender]: true,
      send: () => {
        throw new SwarmError(ErrorCode.Closed, 'closed');
      },
      close() {},
      closed: true,
    };
    const stream = new PassThrough();
    await expect(new Client(refusing).call('attach', {}, undefined, { stream })).rejects.toMatchObject({
      code: ErrorCode.Closed,
    });
    expect(stream.destroyed).toBe(true);
  });
});

describe('Client across a libchan session', () => {
  async function linked() {
    const [a, b] = wirePair();
    const near = new Session(a, { role: 'client' });
    const far = new Session(b, { role: 'server' });
    const channel = near.newSendChannel<Message>();
    const requests = await far.waitReceiveChannel<Message>();
    return { near, far, client: new Client(channel, { clock: new SimulatedClock() }), requests };
  }

  it('a request waiting for its reply fails with ConnectionLost when the link dies, not EOF', async () => {
    const { far, client, requests } = await linked();
    const pending = client.get({ op: 'ping' });
    const arrived = await requests.receive();
    expect(arrived).toMatchObject({ verb: 'get', args: { op: 'ping' } });
    far.destroy();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.ConnectionLost });
  });

  it('a watch whose link dies after the ack: the notifications end with ConnectionLost', async () => {
    const { far, client, requests } = await linked();
    const watching = client.watch({});
    const m = (await requests.receive()) as Message;
    await m.ret?.send({ verb: 'ack', args: {} });
    await m.ret?.send({ verb: 'log', args: 'one' });
    const { reply, more } = await watching;
    expect(reply.verb).toBe('ack');
    expect((await more.next()).value).toMatchObject({ verb: 'log', args: 'one' });
    far.destroy();
    await expect(more.next()).rejects.toMatchObject({ code: ErrorCode.ConnectionLost });
  });
});
