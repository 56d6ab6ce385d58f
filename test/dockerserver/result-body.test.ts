/**
 * `resultBody`: the one way stages read a `set` body, whether a stage sent a value or passed on the
 * daemon's JSON bytes; and the front end writing passed-through bytes unchanged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resultBody } from '../../src/backends/docker/api.js';
import { encodeResultBody } from '../../src/backends/docker/http-streams.js';

const json = { 'Content-Type': 'application/json' };

describe('resultBody', () => {
  it('parses JSON bytes whatever the header case, once per call', () => {
    const bytes = Buffer.from('{"Id":"abc","Names":["/x"]}\n');
    expect(resultBody({ status: 200, body: bytes, headers: json })).toEqual({ Id: 'abc', Names: ['/x'] });
    expect(resultBody({ status: 200, body: bytes, headers: { 'content-type': 'application/json' } })).toEqual(
      {
        Id: 'abc',
        Names: ['/x'],
      },
    );
    // A Uint8Array view into a larger buffer (what a CBOR decoder hands over) parses only its slice.
    const big = Buffer.from('xx[1,2]yy');
    const view = new Uint8Array(big.buffer, big.byteOffset + 2, 5);
    expect(resultBody({ status: 200, body: view, headers: json })).toEqual([1, 2]);
  });

  it('returns values, non-JSON bytes and JSON-labelled text that does not parse unchanged', () => {
    const value = { a: 1 };
    expect(resultBody({ status: 200, body: value })).toBe(value);
    const tar = Buffer.from('not json');
    expect(resultBody({ status: 200, body: tar, headers: { 'Content-Type': 'application/x-tar' } })).toBe(
      tar,
    );
    expect(resultBody({ status: 200, body: tar, headers: json })).toBe(tar);
    expect(resultBody({ status: 204 })).toBeUndefined();
  });

  it('round-trips any JSON value: bytes parse to what the value would have been', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const bytes = Buffer.from(`${JSON.stringify(v)}\n`);
        expect(resultBody({ status: 200, body: bytes, headers: json })).toEqual(
          JSON.parse(JSON.stringify(v)),
        );
      }),
    );
  });
});

describe('encodeResultBody', () => {
  it('writes passed-through bytes as they are, without a copy, and values as JSON + newline', () => {
    const bytes = Buffer.from('[{"Id":"a"}]\n');
    const out = encodeResultBody({ status: 200, body: bytes, headers: json });
    expect(out?.bytes).toBe(bytes);
    expect(out?.json).toBe(false);
    expect(encodeResultBody({ status: 200, body: [{ Id: 'a' }] })).toEqual({ bytes, json: true });
  });
});
