/**
 * One aggregate node in front of a hand-written child that can stop answering (the edge case a real
 * daemon produces only when SIGSTOPped; test/aggregate/faults.test.ts does that with real dockerd).
 * Time is a SimulatedClock: no sleeping.
 */
import { describe, expect, it } from 'vitest';
import type { ErrorArgs, Message } from '../../src/actors/message.js';
import { replyPromise } from '../../src/actors/reply.js';
import { AggregateNode } from '../../src/backends/aggregate/node.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode, SwarmError } from '../../src/errors.js';
import { kSender, type Sender } from '../../src/libchan/types.js';

/** A child that answers `info` and `container.stop` while `up`, and swallows every request while not. */
function child() {
  const state = { up: true, received: [] as string[] };
  const address = {
    [kSender]: true,
    send(m: Message) {
      const op = (m.args as { op: string }).op;
      state.received.push(op);
      if (!state.up) return undefined;
      queueMicrotask(() => {
        void m.ret?.send({ verb: 'set', args: { status: op === 'info' ? 200 : 204, body: {} } });
        m.ret?.close();
      });
      return undefined;
    },
    close() {},
    closed: false,
  } as Sender<Message>;
  return { state, address };
}

/** Advances the clock in steps, letting replies (microtasks) run between them. */
async function advance(clock: SimulatedClock, ms: number, until?: () => boolean): Promise<void> {
  for (let t = 0; t < ms && !until?.(); t += 50) {
    clock.advance(50);
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

function setup() {
  const clock = new SimulatedClock();
  const c = child();
  const node = new AggregateNode({
    name: 'n2',
    command: 'test child',
    address: c.address,
    clock,
    deadline: 1000,
    opDeadline: 30_000,
  });
  return { clock, node, ...c };
}

describe('aggregate node: calls in flight when the node goes down', () => {
  it('an ask and a forwarded call waiting on a hung child fail as soon as it is declared down, naming it', async () => {
    const { clock, node, state } = setup();
    await advance(clock, 50);
    expect(node.health).toBe('healthy');
    state.up = false;
    // A create-like ask at the 30 s op deadline, and a forwarded stop (30 s + its own -t).
    let askError: unknown;
    let askAt: number | undefined;
    node.ask('spawn', { op: 'container.create', query: {} }, node.opDeadline).then(
      () => {},
      (e) => {
        askError = e;
        askAt = clock.now();
      },
    );
    const { sender, first } = replyPromise();
    let fwdAt: number | undefined;
    node.forward({ verb: 'stop', args: {}, ret: sender }, { op: 'container.stop', id: 'x', query: {} });
    void first.then(() => {
      fwdAt = clock.now();
    });
    expect(node.inFlight).toBe(2);
    let downAt: number | undefined;
    await advance(clock, 10_000, () => {
      if (downAt === undefined && !node.reachable) downAt = clock.now();
      return askAt !== undefined && fwdAt !== undefined;
    });
    expect(downAt).toBeDefined();
    // Both end on the down verdict itself, seconds before their own deadlines.
    expect(askAt).toBe(downAt);
    expect(fwdAt).toBe(downAt);
    expect(askAt).toBeLessThan(5000);
    expect(askError).toBeInstanceOf(SwarmError);
    expect((askError as SwarmError).code).toBe(ErrorCode.NodeDown);
    expect((askError as SwarmError).details).toMatchObject({ node: 'n2', status: 503 });
    const reply = await first;
    expect(reply.verb).toBe('error');
    expect(reply.args as ErrorArgs).toMatchObject({ code: ErrorCode.NodeDown, status: 503 });
    expect((reply.args as ErrorArgs).message).toMatch(/^node n2 is down \(last error: .*n2.*\)$/);
    expect(node.inFlight).toBe(0);
  });

  it('probes are not cut: the down node keeps probing and rejoins when the child answers again', async () => {
    const { clock, node, state } = setup();
    await advance(clock, 50);
    state.up = false;
    await advance(clock, 10_000, () => !node.reachable);
    expect(node.reachable).toBe(false);
    const probesBefore = state.received.filter((op) => op === 'info').length;
    state.up = true;
    await advance(clock, 5_000, () => node.health === 'healthy');
    expect(node.health).toBe('healthy');
    expect(state.received.filter((op) => op === 'info').length).toBeGreaterThan(probesBefore);
    // A call made now is answered normally.
    expect((await node.result('stop', { op: 'container.stop', id: 'x', query: {} })).status).toBe(204);
  });

  it('a call that is answered is no longer in flight; a call that times out reports its own deadline', async () => {
    const { clock, node, state } = setup();
    await advance(clock, 50);
    const ok = node.result('get', { op: 'info', query: {} });
    expect(node.inFlight).toBe(1);
    expect((await ok).status).toBe(200);
    expect(node.inFlight).toBe(0);
    state.up = false;
    const slow = node.ask('get', { op: 'container.inspect', id: 'x', query: {} }).catch((e: SwarmError) => e);
    clock.advance(1000);
    const e = await slow;
    expect(e).toMatchObject({ code: ErrorCode.DeadlineExceeded });
    expect((e as SwarmError).message).toBe('node n2 did not answer container.inspect within 1000 ms');
  });

  it('a child that fails or answers synchronously, even on the first probe, is reported, not thrown', async () => {
    for (const mode of ['throws', 'answers'] as const) {
      const clock = new SimulatedClock();
      const address = {
        [kSender]: true,
        send(m: Message) {
          if (mode === 'throws') throw new SwarmError(ErrorCode.Closed, 'child address closed');
          void m.ret?.send({ verb: 'set', args: { status: 200, body: {} } });
          m.ret?.close();
          return undefined;
        },
        close() {},
        closed: false,
      } as Sender<Message>;
      const node = new AggregateNode({
        name: 'n1',
        command: 'test child',
        address,
        clock,
        deadline: 1000,
        opDeadline: 30_000,
      });
      await advance(clock, 50);
      if (mode === 'answers') expect(node.health).toBe('healthy');
      else expect(node.lastError).toMatch(/closed its reply channel/);
      node.stop();
    }
  });
});
