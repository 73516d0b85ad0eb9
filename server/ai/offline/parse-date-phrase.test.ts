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

  it('gives a year stated once to the whole range of months', () => {
    const now = '2026-12-02T00:00:00Z';
    const range = (text: string) => (read(text, now)?.filter as { value: unknown }).value;
    expect(range('from January to March 2025')).toEqual(['2025-01-01', '2025-03-31']);
    expect(range('between jan and mar 2025')).toEqual(['2025-01-01', '2025-03-31']);
    expect(range('jan-mar 2025')).toEqual(['2025-01-01', '2025-03-31']);
    expect(range('April to June 2024')).toEqual(['2024-04-01', '2024-06-30']);
    expect(range('oct through dec 2024')).toEqual(['2024-10-01', '2024-12-31']);
    expect(range('from November to February 2025')).toEqual(['2024-11-01', '2025-02-28']);
    expect(range('from November 2024 to February 2025')).toEqual(['2024-11-01', '2025-02-28']);
  });

  it('reads halves, quarters in words and the first or last week of a month', () => {
    const now = '2026-12-02T00:00:00Z';
    const range = (text: string) => (read(text, now)?.filter as { value: unknown }).value;
    expect(range('in the first half of 2025')).toEqual(['2025-01-01', '2025-06-30']);
    expect(range('H2 2024')).toEqual(['2024-07-01', '2024-12-31']);
    expect(range('in the first six months of 2025')).toEqual(['2025-01-01', '2025-06-30']);
    expect(range('in the second quarter of 2025')).toEqual(['2025-04-01', '2025-06-30']);
    expect(range('last quarter of 2024')).toEqual(['2024-10-01', '2024-12-31']);
    expect(range('in the first week of March 2025')).toEqual(['2025-03-01', '2025-03-07']);
    expect(range('last week of dec 2024')).toEqual(['2024-12-25', '2024-12-31']);
    expect(read('last week', now)?.label).toContain('last week');
  });
});
