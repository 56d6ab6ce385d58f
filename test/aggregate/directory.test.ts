import { describe, expect, it } from 'vitest';
import { ContainerDirectory } from '../../src/backends/aggregate/directory.js';
import { isSwarmError } from '../../src/errors.js';

const id = (p: string) => p.padEnd(64, '0');

function sample(): ContainerDirectory {
  const d = new ContainerDirectory();
  d.replaceNode('n1', [
    { id: id('abc1'), names: ['/web'] },
    { id: id('abd2'), names: ['/db'] },
  ]);
  d.replaceNode('n2', [{ id: id('ff01'), names: ['/cache'] }]);
  return d;
}

describe('container directory', () => {
  it('resolves by full id, name, /name, node/name and unique prefix', () => {
    const d = sample();
    expect(d.resolve(id('abc1'))).toEqual({ node: 'n1', id: id('abc1') });
    expect(d.resolve('cache')?.node).toBe('n2');
    expect(d.resolve('/db')?.id).toBe(id('abd2'));
    expect(d.resolve('n2/cache')?.node).toBe('n2');
    expect(d.resolve('n1/cache')).toBeUndefined();
    expect(d.resolve('abc')?.id).toBe(id('abc1'));
    expect(d.resolve('nosuch')).toBeUndefined();
  });

  it('an ambiguous prefix or duplicated name is an error naming the candidates', () => {
    const d = sample();
    expect(() => d.resolve('ab')).toThrow(/abc100000000 on n1, abd200000000 on n1/);
    d.add('n2', id('dd'), ['/web']);
    try {
      d.resolve('web');
      expect.unreachable();
    } catch (err) {
      expect(isSwarmError(err, 'SWARM_ERR_INVALID_ARGUMENT')).toBe(true);
    }
    expect(d.resolve('n2/web')?.id).toBe(id('dd'));
  });

  it('a fresh listing replaces a node, rm and rename update it', () => {
    const d = sample();
    d.replaceNode('n1', [{ id: id('abc1'), names: ['/web2'] }]);
    expect(d.resolve('web')).toBeUndefined();
    expect(d.resolve('db')).toBeUndefined();
    d.rename(id('abc1'), 'front');
    expect(d.resolve('front')?.node).toBe('n1');
    d.remove(id('ff01'));
    expect(d.resolve('cache')).toBeUndefined();
    expect(d.size).toBe(1);
  });

  it('of 8 creates racing for one name exactly one gets the reservation, and release frees it', () => {
    const d = sample();
    const results = Array.from({ length: 8 }, () => {
      try {
        return d.reserveName('dup');
      } catch (err) {
        expect(isSwarmError(err, 'SWARM_ERR_CONFLICT')).toBe(true);
        return undefined;
      }
    });
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    winners[0]?.();
    expect(d.isNameTaken('dup')).toBe(false);
    expect(() => d.reserveName('/web')).toThrow(/already in use by container/);
  });

  it('remembers exec ids and forgets them with the node', () => {
    const d = sample();
    d.rememberExec('e1', 'n2');
    expect(d.execNode('e1')).toBe('n2');
    d.removeNode('n2');
    expect(d.execNode('e1')).toBeUndefined();
    expect(d.resolve('cache')).toBeUndefined();
  });
});
