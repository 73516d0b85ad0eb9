/**
 * Both servers print timestamps as `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]]`.
 * The wire protocol promises ISO strings, and the embedded PGlite connector
 * already renders them as `Date#toISOString()` (UTC, milliseconds), so every
 * connector does the same and a dataset reads alike whichever database holds it.
 */
const TIMESTAMP_TEXT =
  /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/**
 * Converts a database timestamp text to `YYYY-MM-DDTHH:MM:SS.sssZ`. Text
 * without an offset is a wall-clock time and is read as UTC, so it comes back
 * unchanged apart from the format. Values a JS Date cannot hold (`infinity`,
 * BC dates, five-digit years) are returned as they came rather than dropped.
 *
 * @example
 * toIsoDatetime('2024-03-01 12:30:00+02'); // '2024-03-01T10:30:00.000Z'
 * toIsoDatetime('2024-03-01 12:30:00.5');  // '2024-03-01T12:30:00.500Z'
 */
export function toIsoDatetime(text: string): string {
  const match = TIMESTAMP_TEXT.exec(text);
  if (!match) return text;
  const [, year, month, day, hour, minute, second, fraction = '', sign, offsetHours, offsetMinutes, offsetSeconds] = match;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Number(fraction.padEnd(3, '0').slice(0, 3)));
  if (sign) {
    const offsetMs = (Number(offsetHours) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0)) * 1000;
    date.setTime(date.getTime() - (sign === '-' ? -offsetMs : offsetMs));
  }
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}
