import { describe, expect, it } from 'vitest';
import { toIsoDatetime } from './to-iso-datetime.ts';

describe('toIsoDatetime', () => {
  it('reads text without an offset as UTC wall-clock time', () => {
    expect(toIsoDatetime('2024-03-01 12:30:00')).toBe('2024-03-01T12:30:00.000Z');
    expect(toIsoDatetime('2024-03-01 12:30:00.5')).toBe('2024-03-01T12:30:00.500Z');
    expect(toIsoDatetime('2024-03-01 12:30:00.123456')).toBe('2024-03-01T12:30:00.123Z');
  });

  it('applies hour, minute and second offsets', () => {
    expect(toIsoDatetime('2024-03-01 00:30:00+02')).toBe('2024-02-29T22:30:00.000Z');
    expect(toIsoDatetime('2024-03-01 12:00:00-05:30')).toBe('2024-03-01T17:30:00.000Z');
    expect(toIsoDatetime('1900-01-01 00:00:00+00:19:32')).toBe('1899-12-31T23:40:28.000Z');
  });

  it('keeps years below 100 as they are', () => {
    expect(toIsoDatetime('0044-03-15 12:00:00')).toBe('0044-03-15T12:00:00.000Z');
  });

  it('returns values a Date cannot hold unchanged', () => {
    expect(toIsoDatetime('infinity')).toBe('infinity');
    expect(toIsoDatetime('0044-03-15 12:00:00 BC')).toBe('0044-03-15 12:00:00 BC');
    expect(toIsoDatetime('12345-01-01 00:00:00')).toBe('12345-01-01 00:00:00');
  });
});
