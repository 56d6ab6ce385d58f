import { describe, expect, it } from 'vitest';
import { statusOf, statusOfErrorArgs } from '../../src/backends/docker/http-errors.js';
import { ErrorCode, SwarmError } from '../../src/errors.js';

describe('aggregate error statuses', () => {
  it('map every code as the HTTP edge does (one table), unless the error names its own status', () => {
    for (const code of Object.values(ErrorCode)) {
      const err = new SwarmError(code, 'x');
      expect(statusOf(err), code).toBe(statusOfErrorArgs({ message: 'x', code }));
    }
    expect(statusOf(new SwarmError(ErrorCode.ConnectionLost, 'x'))).toBe(502);
    expect(statusOf(new SwarmError(ErrorCode.NodeDown, 'x'))).toBe(503);
    expect(statusOf(new SwarmError(ErrorCode.Remote, 'x', { details: { status: 409 } }))).toBe(409);
  });
});
