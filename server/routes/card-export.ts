/**
 * A card's data as a file a viewer downloads: CSV (csv-stringify, which
 * quotes and escapes by RFC 4180 so a comma, quote or newline in a customer's
 * data cannot shift a column) or XLSX (exceljs, typed cells so numbers stay
 * numbers in a spreadsheet). Cells that a spreadsheet would read as a formula
 * are prefixed with a quote: exported data must never execute in the
 * viewer's spreadsheet (CSV injection).
 */
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import type { ResultColumn } from '@insight-engine/sdk/protocol';

export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportFile {
  body: Uint8Array;
  contentType: string;
  filename: string;
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** Text that a spreadsheet would evaluate gets a leading apostrophe; numbers pass as they are. */
export function neutraliseFormula(value: unknown): unknown {
  return typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;
}

const headerOf = (c: ResultColumn) => c.label ?? c.name;

function cellValue(value: unknown, column: ResultColumn): unknown {
  if (value === null || value === undefined) return null;
  if ((column.type === 'date' || column.type === 'datetime') && typeof value === 'string') {
    const parsed = new Date(value);
    return Number.isNaN(parsed.getTime()) ? neutraliseFormula(value) : parsed;
  }
  if (typeof value === 'object') return JSON.stringify(value);
  return neutraliseFormula(value);
}

/** A file name from the card's title: letters, digits and dashes only. */
export function exportFilename(title: string, format: ExportFormat): string {
  const base = title.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9]+/g, '-').replace(/^-+|-+$/g, '').toLowerCase().slice(0, 80) || 'export';
  return `${base}.${format}`;
}

export async function exportRows(format: ExportFormat, title: string, columns: ResultColumn[], rows: unknown[][]): Promise<ExportFile> {
  const filename = exportFilename(title, format);
  if (format === 'csv') {
    const records = rows.map((row) => row.map((v) => {
      if (v === null || v === undefined) return '';
      return typeof v === 'object' ? JSON.stringify(v) : neutraliseFormula(v);
    }));
    // A byte-order mark so spreadsheet programs read UTF-8 (names with accents) correctly.
    const text = '\uFEFF' + stringify([columns.map(headerOf), ...records]);
    return { body: new TextEncoder().encode(text), contentType: 'text/csv; charset=utf-8', filename };
  }
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'InsightEngine';
  const sheet = workbook.addWorksheet(title.slice(0, 31).replace(/[[\]*?/\\:]/g, ' ') || 'Data');
  sheet.columns = columns.map((c) => ({ header: headerOf(c), key: c.name, width: Math.min(Math.max(headerOf(c).length + 2, 12), 40) }));
  sheet.getRow(1).font = { bold: true };
  for (const row of rows) sheet.addRow(row.map((v, i) => cellValue(v, columns[i] as ResultColumn)));
  const buffer = await workbook.xlsx.writeBuffer();
  return {
    body: new Uint8Array(buffer as ArrayBuffer),
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    filename,
  };
}
