import { describe, expect, it } from 'vitest';
import { negotiateEncoding } from './accept-encoding.ts';

describe('negotiateEncoding', () => {
  it.each([
    // What browsers send.
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip, deflate', 'gzip'],
    // No header, or nothing we make: the plain bytes.
    [undefined, 'identity'],
    ['', 'identity'],
    ['identity', 'identity'],
    ['deflate, zstd', 'identity'],
    // q=0 refuses a coding, and the highest weight wins over our preference.
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.8', 'br'],
    ['gzip;q=1.0, br;q=0.999', 'gzip'],
    // `*` covers codings the header does not name, never one it refuses.
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['br;q=0, *', 'gzip'],
    ['gzip;q=0, br;q=0, *;q=1', 'identity'],
    // Case, spaces, the old gzip name, and a malformed weight (read as a refusal).
    ['  GZIP ; Q=0.5 ,  Br ; q=0 ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br;q=2, gzip', 'gzip'],
    ['br;q=abc', 'identity'],
  ] as const)('%j → %s', (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });

  it('only picks among the codings offered', () => {
    expect(negotiateEncoding('br, gzip', ['gzip'])).toBe('gzip');
    expect(negotiateEncoding('br', ['gzip'])).toBe('identity');
  });
});
