/**
 * Keyset paging shared by every list of the admin API: a cursor is the sort
 * key of the last row of a page (for example `[title, id]`), as base64url
 * JSON, so the next page starts strictly after it whatever was inserted
 * meanwhile. A cursor that was not made here is a validation error.
 */
import { InsightError } from '../errors/insight-error.ts';

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key of `cursor`, which must hold `length` strings. */
export function decodeCursor(cursor: string, length: number): string[] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === length && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    // falls through to the validation error
  }
  throw new InsightError('ERR_VALIDATION', 'The cursor is not valid', { errors: [{ path: 'cursor', message: 'not a cursor from a previous page' }] });
}

/** A `[time, id]` cursor for lists newest first. */
export function encodeTimeCursor(at: Date, id: string): string {
  return encodeCursor([at.toISOString(), id]);
}

export function decodeTimeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = decodeCursor(cursor, 2) as [string, string];
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) decodeCursor('', 2);
  return { at: date, id };
}

/** A LIKE pattern matching `text` anywhere: `%`, `_` and the escape character match literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
