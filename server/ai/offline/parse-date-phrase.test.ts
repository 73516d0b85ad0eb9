import { describe, expect, it } from 'vitest';
import { parseDatePhrase } from './parse-date-phrase.ts';
import { tokenizeQuestion } from './tokenize-question.ts';

const read = (text: string, now: string) => parseDatePhrase(tokenizeQuestion(text), 0, 'order_date', new Date(now));

describe('parseDatePhrase', () => {
  it('reads a month without a year as its most recent occurrence', () => {
    expect(read('in March', '2025-02-10T00:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2024-03-01', '2024-03-31'] });
    expect(read('in March', '2025-03-02T00:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2025-03-01', '2025-03-31'] });
  });

  it('keeps engine presets relative and resolves other windows against now', () => {
    expect(read('last 90 days', '2025-06-30T08:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'relative_date', value: 'last_90_days' });
    expect(read('last 10 days', '2025-06-30T08:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2025-06-21', '2025-06-30'] });
    expect(read('past 2 quarters', '2025-06-30T08:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2024-10-01', '2025-03-31'] });
  });

  it('reads weeks from Monday and leap days', () => {
    expect(read('last week', '2025-12-17T00:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2025-12-08', '2025-12-14'] });
    expect(read('on 29 February 2024', '2025-01-01T00:00:00Z')?.filter).toEqual({ column: 'order_date', op: 'between', value: ['2024-02-29', '2024-02-29'] });
    expect(read('on 29 February 2025', '2025-01-01T00:00:00Z')).toBeUndefined();
  });

  it('leaves words that are not dates alone', () => {
    expect(read('in West', '2025-01-01T00:00:00Z')).toBeUndefined();
    expect(read('last orders', '2025-01-01T00:00:00Z')).toBeUndefined();
    expect(read('between 10 and 20', '2025-01-01T00:00:00Z')).toBeUndefined();
  });

  it('reads no unit from the names of built-in object members', () => {
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(read(`last ${word}`, '2025-01-01T00:00:00Z'), word).toBeUndefined();
      expect(read(`last 3 ${word}`, '2025-01-01T00:00:00Z'), word).toBeUndefined();
    }
  });
});
