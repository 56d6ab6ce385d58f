/**
 * The pure pieces of the front door: route matching and version checks, header hygiene, and the
 * one-shot reply channel (deadline on a simulated clock, late streams destroyed).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { awaitReply } from '../../src/backends/docker/http-reply.js';
import { isHttpError, matchRoute } from '../../src/backends/docker/http-router.js';
import { endToEndHeaders } from '../../src/backends/docker/http-streams.js';
import { SimulatedClock } from '../../src/clock.js';
import { ErrorCode, isSwarmError } from '../../src/errors.js';

describe('matchRoute', () => {
  it('matches with and without a version prefix, decoding id and query', () => {
    const m = matchRoute('POST', '/v1.41/containers/my%20c/kill?signal=INT&signal=TERM', '1.41');
    expect(isHttpError(m)).toBe(false);
    expect(m).toMatchObject({
      route: { op: 'container.kill' },
      id: 'my c',
      query: { signal: 'INT' },
      version: '1.41',
    });
    expect(matchRoute('DELETE', '/containers/abc?force=1&v=1', '1.41')).toMatchObject({
      route: { op: 'container.remove' },
      id: 'abc',
      query: { force: '1', v: '1' },
    });
    expect(matchRoute('GET', '/v1.24/images/busybox:local/json', '1.41')).toMatchObject({
      route: { op: 'image.inspect' },
      id: 'busybox:local',
    });
  });

  it('answers like dockerd for versions, unknown paths, wrong methods and bad escapes', () => {
    expect(matchRoute('GET', '/v1.42/info', '1.41')).toEqual({
      status: 400,
      message: 'client version 1.42 is too new. Maximum supported API version is 1.41',
    });
    expect(matchRoute('GET', '/v1.41/info', '1.40')).toMatchObject({ status: 400 });
    expect(matchRoute('GET', '/v1.11/info', '1.41')).toMatchObject({ status: 400, message: /too old/ });
    // dockerd routes containers with {name:.*}: `a/b` is a name (its answer: No such container: a/b).
    expect(matchRoute('GET', '/containers/a/b/json', '1.41')).toMatchObject({
      route: { op: 'container.inspect' },
      id: 'a/b',
    });
    expect(matchRoute('GET', '/nodes/a/b', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(matchRoute('PUT', '/containers/json', '1.41')).toEqual({ status: 404, message: 'page not found' });
    expect(matchRoute('GET', '/containers/%E0%A4%A/json', '1.41')).toMatchObject({ status: 400 });
  });
});

describe('endToEndHeaders', () => {
  it('drops hop-by-hop and malformed headers', () => {
    expect(
      endToEndHeaders({
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
        'content-length': '5',
        Connection: 'close',
        'X-Evil': 'a\r\nSet-Cookie: x',
        'Bad Name': 'v',
        'X-Docker-Container-Path-Stat': 'eyJ9',
      }),
    ).toEqual({ 'Content-Type': 'application/json', 'X-Docker-Container-Path-Stat': 'eyJ9' });
  });
});

describe('awaitReply', () => {
  it('settles on the first answer, ignores later ones and destroys their streams', async () => {
    const w = awaitReply(new SimulatedClock(), 1000);
    expect(w.sender.send({ verb: 'log', args: 'progress' })).toBeUndefined();
    w.sender.send({ verb: 'set', args: { status: 200 } });
    const late = new PassThrough();
    w.sender.send({ verb: 'ack', args: {}, stream: late });
    expect(late.destroyed).toBe(true);
    expect(await w.outcome).toEqual({ kind: 'reply', message: { verb: 'set', args: { status: 200 } } });
  });

  it('times out on the injected clock, and a stream arriving after that is destroyed', async () => {
    const clock = new SimulatedClock();
    const w = awaitReply(clock, 1000);
    clock.advance(999);
    let settled = false;
    void w.outcome.then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await w.outcome).toEqual({ kind: 'timeout' });
    const late = new PassThrough();
    w.sender.send({ verb: 'ack', args: {}, stream: late });
    expect(late.destroyed).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('reports a close without answer as eof, and sending after cancel fails with CLOSED', async () => {
    const clock = new SimulatedClock();
    const a = awaitReply(clock, 1000);
    a.sender.close();
    expect(await a.outcome).toEqual({ kind: 'eof' });
    const b = awaitReply(clock, 1000);
    b.cancel();
    expect(await b.outcome).toEqual({ kind: 'cancelled' });
    expect(b.sender.closed).toBe(true);
    try {
      b.sender.send({ verb: 'set', args: {} });
      expect.unreachable();
    } catch (err) {
      expect(isSwarmError(err, ErrorCode.Closed)).toBe(true);
    }
    expect(clock.pendingTimers).toBe(0);
  });
});
