import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isSwarmError } from '../../src/errors.js';
import { Mailbox, type OverflowPolicy, RingBuffer } from '../../src/mailbox/index.js';

describe('RingBuffer', () => {
  it('is FIFO across growth and wrap-around', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.constant(null)), { maxLength: 300 }), (ops) => {
        const ring = new RingBuffer<number>(4);
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) expect(ring.shift()).toBe(model.shift());
          else {
            ring.push(op);
            model.push(op);
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
      }),
    );
  });
});

describe('Mailbox', () => {
  it('rejects a non-positive capacity', () => {
    expect(() => new Mailbox({ capacity: 0 })).toThrow(/positive integer/);
  });

  it('takes system signals before user messages', () => {
    const mb = new Mailbox<string, string>({ capacity: 4 });
    mb.send('a');
    mb.sendSystem('stop');
    expect(mb.hasSystem).toBe(true);
    expect(mb.shiftSystem()).toBe('stop');
    expect(mb.shift()).toBe('a');
    expect(mb.isEmpty).toBe(true);
  });

  it('signals readability only on the empty to non-empty edge', () => {
    let signals = 0;
    const mb = new Mailbox<number>({ capacity: 8, onReadable: () => signals++ });
    mb.send(1);
    mb.send(2);
    expect(signals).toBe(1);
    mb.shift();
    mb.shift();
    mb.sendSystem('x');
    expect(signals).toBe(2);
  });

  it('dropHead dead-letters the oldest, dropTail the newest', () => {
    const dead: [number, string][] = [];
    const head = new Mailbox<number>({
      capacity: 2,
      overflow: 'dropHead',
      onDeadLetter: (m, r) => dead.push([m, r]),
    });
    for (const n of [1, 2, 3]) head.send(n);
    expect([head.shift(), head.shift()]).toEqual([2, 3]);
    const tail = new Mailbox<number>({
      capacity: 2,
      overflow: 'dropTail',
      onDeadLetter: (m, r) => dead.push([m, r]),
    });
    for (const n of [1, 2, 3]) tail.send(n);
    expect([tail.shift(), tail.shift()]).toEqual([1, 2]);
    expect(dead).toEqual([
      [1, 'dropHead'],
      [3, 'dropTail'],
    ]);
  });

  it('fail refuses the sender with a typed error', () => {
    const mb = new Mailbox<number>({ capacity: 1, overflow: 'fail' });
    mb.send(1);
    let caught: unknown;
    try {
      mb.send(2);
    } catch (err) {
      caught = err;
    }
    expect(isSwarmError(caught, ErrorCode.MailboxFull)).toBe(true);
    expect(mb.counters().refused).toBe(1);
  });

  it('backpressure resolves the send when room appears, in order', async () => {
    const mb = new Mailbox<number>({ capacity: 1 });
    expect(mb.send(1)).toBeUndefined();
    const p2 = mb.send(2);
    const p3 = mb.send(3);
    expect(p2).toBeInstanceOf(Promise);
    expect(mb.blockedSenders).toBe(2);
    expect(mb.shift()).toBe(1);
    await p2;
    expect(mb.shift()).toBe(2);
    await p3;
    expect(mb.shift()).toBe(3);
    expect(mb.counters().highWater).toBe(1);
  });

  it('close dead-letters queued messages and refuses blocked senders and later sends', async () => {
    const dead: number[] = [];
    const mb = new Mailbox<number>({ capacity: 1, onDeadLetter: (m) => dead.push(m) });
    mb.send(1);
    const blocked = mb.send(2);
    mb.close();
    mb.close();
    await expect(blocked).rejects.toMatchObject({ code: ErrorCode.Closed });
    expect(() => mb.send(3)).toThrow(/closed/);
    expect(dead).toEqual([1]);
    expect(mb.counters()).toMatchObject({ orphaned: 1, refused: 2, delivered: 0 });
  });

  const policies: OverflowPolicy[] = ['backpressure', 'dropHead', 'dropTail', 'fail'];
  for (const overflow of policies) {
    it(`accounts for every message under ${overflow}: delivered + dead-lettered + refused = N`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 16 }),
          fc.array(fc.constantFrom('send', 'take', 'take'), { minLength: 1, maxLength: 200 }),
          async (capacity, ops) => {
            let dead = 0;
            let refused = 0;
            let delivered = 0;
            const mb = new Mailbox<number>({ capacity, overflow, onDeadLetter: () => dead++ });
            const pending: Promise<void>[] = [];
            let n = 0;
            for (const op of ops) {
              if (op === 'send') {
                n++;
                try {
                  const p = mb.send(n);
                  if (p) pending.push(p.catch(() => void refused++));
                } catch {
                  refused++;
                }
              } else if (mb.shift() !== undefined) delivered++;
            }
            mb.close();
            await Promise.all(pending);
            expect(delivered + dead + refused).toBe(n);
            const c = mb.counters();
            expect(c.delivered).toBe(delivered);
            expect(c.droppedHead + c.droppedTail + c.orphaned).toBe(dead);
            expect(c.refused).toBe(refused);
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});
