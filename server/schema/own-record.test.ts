import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ownRecord, ownValue } from './own-record.ts';

const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

describe('ownRecord', () => {
  const schema = ownRecord(z.string().regex(/^[A-Za-z_]\w*$/), z.number());

  it('keeps every key of the input as an own member, __proto__ included', () => {
    const input = JSON.parse(`{${NAMES.map((n) => `"${n}": 1`).join(',')}, "plain": 2}`) as unknown;
    const out = schema.parse(input);
    expect(Object.keys(out)).toEqual([...NAMES, 'plain']);
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(z.record(z.string(), z.number()).parse(input)).not.toHaveProperty('__proto__', 1); // what zod's own record does
  });

  it('checks keys and values, __proto__ included, with issue paths', () => {
    const result = schema.safeParse(JSON.parse('{"__proto__": "x", "not a name": 1}'));
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path)).toEqual([['__proto__'], ['not a name']]);
    expect(schema.safeParse([]).success).toBe(false);
    expect(schema.safeParse(null).success).toBe(false);
  });

  it('documents itself like z.record', () => {
    const json = z.toJSONSchema(z.object({ r: schema }), { io: 'input' }) as unknown as { properties: { r: unknown } };
    expect(json.properties.r).toMatchObject({ type: 'object', additionalProperties: { type: 'number' } });
  });
});

describe('ownValue', () => {
  it('reads own members only', () => {
    const table: Record<string, string> = { day: 'day' };
    expect(ownValue(table, 'day')).toBe('day');
    for (const name of NAMES) expect(ownValue(table, name), name).toBeUndefined();
  });
});
