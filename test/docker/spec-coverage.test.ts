/**
 * The route table against Docker's own OpenAPI description of Engine API v1.41
 * (../shared/docs/engine-api-v1.41.yaml): every operation of the spec has exactly one row with its
 * method and path, and every row names a spec operation (or says why it exists beyond the spec).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROUTES } from '../../src/backends/docker/api.js';

const SPEC = fileURLToPath(new URL('../../../shared/docs/engine-api-v1.41.yaml', import.meta.url));
const METHODS = ['get', 'head', 'post', 'put', 'delete'];

interface SpecOp {
  id: string;
  method: string;
  /** The path with every parameter written `{}`: `/containers/{}/json`. */
  shape: string;
}

function specOps(): SpecOp[] {
  const doc = parse(readFileSync(SPEC, 'utf8')) as {
    paths: Record<string, Record<string, { operationId: string }>>;
  };
  const out: SpecOp[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops))
      if (METHODS.includes(method))
        out.push({
          id: op.operationId,
          method: method.toUpperCase(),
          shape: path.replace(/\{[^}]+\}/g, '{}'),
        });
  return out;
}

const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

describe('route table vs engine-api-v1.41.yaml', () => {
  const ops = specOps();

  it('the spec has the 106 operations the issue counts', () => {
    expect(ops).toHaveLength(106);
  });

  it('every operation of the spec has one row with its method and path', () => {
    const missing: string[] = [];
    for (const op of ops) {
      const rows = ROUTES.filter((r) => r.spec === op.id);
      if (rows.length !== 1) missing.push(`${op.id} (${op.method} ${op.shape}): ${rows.length} rows`);
      else expect(`${rows[0]!.method} ${shape(rows[0]!.path)}`, op.id).toBe(`${op.method} ${op.shape}`);
    }
    expect(missing).toEqual([]);
  });

  it('every row names an operation of the spec, or says why it is beyond it', () => {
    const ids = new Set(ops.map((o) => o.id));
    const stray = ROUTES.filter((r) => (r.spec === null ? !r.note : !ids.has(r.spec))).map(
      (r) => `${r.op} ${r.method} ${r.path}`,
    );
    expect(stray).toEqual([]);
    expect(ROUTES.filter((r) => r.spec === null).map((r) => r.path)).toEqual(['/grpc']);
  });

  it('op names are unique per row (but one operation two ways: ping, attach) and shaped <family>.<action>', () => {
    const seen = new Map<string, number>();
    for (const r of ROUTES) seen.set(r.op, (seen.get(r.op) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([
      ['ping', 2],
      ['container.attach', 2],
    ]);
    for (const op of seen.keys()) expect(op).toMatch(/^[a-z]+(\.[a-z]+)*$/);
  });
});
