import { describe, expect, it } from 'vitest';
import { isInsightError } from '../errors/insight-error.ts';
import { resultCacheKey } from './result-cache.ts';

const sql = 'select count(*) from (select * from orders where tenant_id = $1) d where region = $2';
const key = (params: readonly unknown[], connectionId = 'conn-1', text = sql) => resultCacheKey({ connectionId, sql: text, params });

describe('resultCacheKey', () => {
  it('is a stable sha256 hex digest', () => {
    expect(key([42, 'eu'])).toMatch(/^[0-9a-f]{64}$/);
    expect(key([42, 'eu'])).toBe(key([42, 'eu']));
  });

  it('separates tenants, connections and SQL', () => {
    expect(key([1, 'eu'])).not.toBe(key([2, 'eu']));
    expect(key([1, 'eu'], 'conn-2')).not.toBe(key([1, 'eu'], 'conn-1'));
    expect(key([1, 'eu'], 'conn-1', `${sql} limit 10`)).not.toBe(key([1, 'eu']));
  });

  it('keys values of different types apart even where JSON would not', () => {
    const distinct: unknown[] = [
      1,
      '1',
      1n,
      true,
      'true',
      null,
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      'Infinity',
      new Date('2024-01-01T00:00:00Z'),
      '2024-01-01T00:00:00.000Z',
      Buffer.from([1, 2]),
      [1, 2],
      { type: 'Buffer', data: [1, 2] },
      ['s', '1'],
      {},
      [],
    ];
    const keys = distinct.map((value) => key([value]));
    expect(new Set(keys).size).toBe(distinct.length);
  });

  it('does not depend on the order of object keys, but on array order', () => {
    expect(key([{ a: 1, b: [1, 2] }])).toBe(key([{ b: [1, 2], a: 1 }]));
    expect(key([[1, 2]])).not.toBe(key([[2, 1]]));
    expect(key([1, 2])).not.toBe(key([[1, 2]]));
  });

  it('refuses a parameter it has no canonical form for', () => {
    let caught: unknown;
    try {
      key([new Map([[1, 2]])]);
    } catch (error) {
      caught = error;
    }
    expect(isInsightError(caught) && caught.code).toBe('ERR_INTERNAL');
  });
});
