/**
 * Row estimates read from the databases' EXPLAIN (FORMAT JSON) documents.
 * Pure functions, so each connector stays the only importer of its driver.
 */
import { InsightError } from '../errors/insight-error.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const parse = (plan: unknown): unknown => (typeof plan === 'string' ? JSON.parse(plan) : plan);

/** The `reason` of the error thrown when a plan has no estimate this code can read: callers may fall back. */
export const NO_ESTIMATE = 'no_estimate';

function noEstimate(): InsightError {
  return new InsightError('ERR_QUERY_FAILED', 'The database gave no row estimate', { reason: NO_ESTIMATE });
}

/**
 * PostgreSQL and PGlite: `Plan Rows` of the top plan node of
 * `[{ "Plan": { "Node Type": ..., "Plan Rows": 40 } }]`, the rows the
 * planner expects the statement to return.
 *
 * @example
 * planRows([{ Plan: { 'Node Type': 'Seq Scan', 'Plan Rows': 40 } }]); // 40
 */
export function planRows(plan: unknown): number {
  const parsed = parse(plan);
  const top = Array.isArray(parsed) ? parsed[0] : undefined;
  const rows = isObject(top) && isObject(top.Plan) ? top.Plan['Plan Rows'] : undefined;
  if (typeof rows !== 'number' || !Number.isFinite(rows) || rows < 0) throw noEstimate();
  return Math.round(rows);
}

/** Rows a table access is expected to pass on: rows read per scan times the share its condition keeps. */
function tableRows(table: Json): number | undefined {
  // MariaDB says `rows`, MySQL `rows_examined_per_scan`.
  const raw = table.rows ?? table.rows_examined_per_scan;
  // `{ "message": "No tables used" }`, `"Impossible WHERE"`...: nothing is read.
  if (raw === undefined && typeof table.message === 'string') return 0;
  const rows = Number(raw);
  if (raw === undefined || !Number.isFinite(rows)) return undefined;
  const filtered = Number(table.filtered ?? 100);
  return rows * (Number.isFinite(filtered) ? filtered / 100 : 1);
}

/** The table of a nested-loop step, also inside a join wrapper (MariaDB's `block-nl-join`, `duplicates_removal`...). */
function joinedTable(item: unknown, depth: number): Json | undefined {
  if (!isObject(item) || depth > 4) return undefined;
  if (isObject(item.table)) return item.table;
  for (const value of Object.values(item)) {
    const table = joinedTable(value, depth + 1);
    if (table) return table;
  }
  return undefined;
}

/** Wrappers around a query block's tables that do not change which rows are examined. */
const WRAPPERS = ['ordering_operation', 'grouping_operation', 'duplicates_removal', 'windowing', 'filesort', 'temporary_table', 'read_sorted_file', 'having_condition'];

function blockRows(block: Json, depth: number): number | undefined {
  if (depth > 32) return undefined;
  const union = block.union_result;
  if (isObject(union) && Array.isArray(union.query_specifications)) {
    let sum = 0;
    for (const spec of union.query_specifications) {
      const rows = isObject(spec) && isObject(spec.query_block) ? blockRows(spec.query_block, depth + 1) : undefined;
      if (rows === undefined) return undefined;
      sum += rows;
    }
    return sum;
  }
  if (Array.isArray(block.nested_loop)) {
    let product = 1;
    for (const item of block.nested_loop) {
      const table = joinedTable(item, 0);
      const rows = table ? tableRows(table) : undefined;
      if (rows === undefined) return undefined;
      product *= rows;
    }
    return product;
  }
  if (isObject(block.table)) return tableRows(block.table);
  for (const key of WRAPPERS) {
    const inner = block[key];
    if (isObject(inner)) return blockRows(inner, depth + 1);
  }
  return typeof block.message === 'string' ? 0 : undefined;
}

/**
 * MySQL and MariaDB: the rows the outermost query block expects to examine,
 * from `EXPLAIN FORMAT=JSON`: the product of the joined tables' row estimates
 * (times their `filtered` share), summed over a UNION's parts.
 *
 * @example
 * examinedRows('{"query_block":{"select_id":1,"table":{"table_name":"orders","rows":60,"filtered":100}}}'); // 60
 */
export function examinedRows(plan: unknown): number {
  const parsed = parse(plan);
  const block = isObject(parsed) ? parsed.query_block : undefined;
  const rows = isObject(block) ? blockRows(block, 0) : undefined;
  if (rows === undefined || !Number.isFinite(rows) || rows < 0) throw noEstimate();
  return Math.round(rows);
}
