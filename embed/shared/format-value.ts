/**
 * Display formatting of result values with Intl, driven by a column's
 * `format` (dataset metadata such as `currency:USD`) and `type`.
 */
import type { ResultColumn } from '../../sdk/protocol.ts';

export type NumberFormat =
  | { kind: 'currency'; currency: string }
  | { kind: 'percent' }
  | { kind: 'integer' }
  | { kind: 'number'; decimals?: number };

/**
 * Reads a column format: `currency:EUR`, `percent`, `integer`, `number` or
 * `number:2` (fixed decimals). Anything else formats as a plain number.
 * @example parseNumberFormat('currency:USD') // { kind: 'currency', currency: 'USD' }
 */
export function parseNumberFormat(format: string | null | undefined): NumberFormat {
  const [kind = '', arg = ''] = (format ?? '').trim().split(':');
  switch (kind.toLowerCase()) {
    case 'currency':
      return /^[A-Za-z]{3}$/.test(arg) ? { kind: 'currency', currency: arg.toUpperCase() } : { kind: 'number' };
    case 'percent':
      return { kind: 'percent' };
    case 'integer':
      return { kind: 'integer' };
    case 'number':
    case 'decimal': {
      const decimals = Number(arg);
      return arg !== '' && Number.isInteger(decimals) && decimals >= 0 && decimals <= 10 ? { kind: 'number', decimals } : { kind: 'number' };
    }
    default:
      return { kind: 'number' };
  }
}

/** Intl options for a column format; `compact` gives short forms such as `$980.6K`. */
export function numberFormatOptions(format: string | null | undefined, options: { compact?: boolean } = {}): Intl.NumberFormatOptions {
  const parsed = parseNumberFormat(format);
  const compact: Intl.NumberFormatOptions = options.compact ? { notation: 'compact', maximumFractionDigits: 1 } : {};
  switch (parsed.kind) {
    case 'currency':
      return { style: 'currency', currency: parsed.currency, ...compact };
    case 'percent':
      return { style: 'percent', maximumFractionDigits: 1, ...compact };
    case 'integer':
      return { maximumFractionDigits: 0, ...compact };
    case 'number':
      return parsed.decimals === undefined
        ? { maximumFractionDigits: 2, ...compact }
        : { minimumFractionDigits: parsed.decimals, maximumFractionDigits: parsed.decimals, ...compact };
  }
}

/** @example formatNumber(980584.48, 'currency:USD', { compact: true }) // "$980.6K" in en-US */
export function formatNumber(value: number, format?: string | null, options: { compact?: boolean; locale?: string } = {}): string {
  return new Intl.NumberFormat(options.locale, numberFormatOptions(format, options)).format(value);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Dates without a time are calendar days and shown as such in every time zone (UTC). */
export function formatDate(value: string | number | Date, type: 'date' | 'datetime', locale?: string): string {
  const isDay = typeof value === 'string' && DATE_ONLY.test(value);
  const date = value instanceof Date ? value : new Date(isDay ? `${value as string}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) return String(value);
  const options: Intl.DateTimeFormatOptions =
    type === 'date' || isDay ? { dateStyle: 'medium', timeZone: 'UTC' } : { dateStyle: 'medium', timeStyle: 'short' };
  return new Intl.DateTimeFormat(locale, options).format(date);
}

export function isNumericColumn(column: Pick<ResultColumn, 'type'>): boolean {
  return column.type === 'number';
}

/** The text of one cell. `null` shows as an en dash, so empty never looks like zero. */
export function formatCell(value: unknown, column: Pick<ResultColumn, 'type' | 'format'>, locale?: string): string {
  if (value === null || value === undefined || value === '') return '–';
  if (column.type === 'number' && typeof value === 'number') return formatNumber(value, column.format, { locale });
  if (column.type === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return formatNumber(Number(value), column.format, { locale });
  }
  if ((column.type === 'date' || column.type === 'datetime') && (typeof value === 'string' || typeof value === 'number')) {
    return formatDate(value, column.type, locale);
  }
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A column's header text: its label, or its name made readable. */
export function columnLabel(column: Pick<ResultColumn, 'name' | 'label'>): string {
  if (column.label) return column.label;
  const words = column.name.replace(/[_-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
