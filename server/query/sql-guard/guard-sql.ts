/**
 * The SQL guard: SQL written over datasets (saved queries, card SQL,
 * AI-written SQL) in, SQL that can only read the viewer's rows out.
 * ARCHITECTURE §4, layers 1-4; the connector's envelope is layer 5.
 *
 * 1. Text: size, characters, comments, `{{param}}` placeholders (prepare-sql.ts).
 * 2. Parse with node-sql-parser for the dialect: exactly one SELECT.
 * 3. Walk: allowlisted node types, functions and operators; every relation is
 *    a CTE in scope or a visible dataset (check-select.ts).
 * 4. Rewrite every dataset reference into its policy subquery with bound
 *    parameters; re-serialise, re-parse, re-verify (regenerate.ts).
 */
import type { Dialect } from '../../connectors/connector.ts';
import { InsightError } from '../../errors/insight-error.ts';
import { checkStatement, datasetMarker, isRelationName, MARKER_PREFIX, placeholderMarker } from './check-select.ts';
import type { DatasetKeys } from './group-by-keys.ts';
import { prepareSql } from './prepare-sql.ts';
import { spliceSources, verifyFinal, verifyRegenerated, type PolicySource } from './regenerate.ts';
import { parseStatements, sqlifyStatement } from './sql-parser.ts';

export type { Dialect };

export interface GuardDataset {
  /** How the dataset is reached from SQL: its name, matched case-insensitively as an unqualified identifier. */
  name: string;
  /**
   * Already-compiled policy subquery source for this viewer, with its own
   * bound parameters, always with `?` placeholders (the guard renumbers them
   * for postgres), e.g. `{ sql: 'select * from "orders" where tenant_id = ?', parameters: [42] }`.
   */
  source: PolicySource;
  /**
   * Unique keys of the dataset (column names), e.g. `[['id']]`: grouping by
   * one lets the query select the dataset's other columns without grouping
   * by them, as PostgreSQL allows for a table's primary key (group-by-keys.ts).
   */
  keys?: DatasetKeys;
}

export interface GuardInput {
  /** SQL over datasets; may contain `{{param}}` placeholders. */
  sql: string;
  dialect: Dialect;
  /** Only the datasets visible to this viewer. */
  datasets: readonly GuardDataset[];
  /** Values for `{{param}}` placeholders; a missing (or null) one is ERR_POLICY_PARAM_MISSING. */
  params: Readonly<Record<string, unknown>>;
}

export interface GuardedSql {
  /** The only SQL that may run: `$1..$n` placeholders for postgres, `?` for mysql. */
  sql: string;
  /** Bound values in placeholder order. */
  parameters: unknown[];
  /** Names (as declared) of the datasets the query reads, in order of first reference. */
  datasets: string[];
}

function datasetKey(name: string): string {
  const key = name.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  // A dataset name must be reachable as a plain identifier, exactly one way.
  if (!isRelationName(key) || key.startsWith(MARKER_PREFIX)) {
    throw new InsightError('ERR_VALIDATION', `The dataset name "${name.slice(0, 64)}" is not a plain identifier`);
  }
  return key;
}

function indexDatasets<T>(datasets: readonly T[], nameOf: (dataset: T) => string): Map<string, T> {
  const byName = new Map<string, T>();
  for (const dataset of datasets) {
    const key = datasetKey(nameOf(dataset));
    if (byName.has(key)) throw new InsightError('ERR_VALIDATION', `Two datasets are named "${key}"`);
    byName.set(key, dataset);
  }
  return byName;
}

function paramValue(params: Readonly<Record<string, unknown>>, name: string): unknown {
  const value = Object.hasOwn(params, name) ? params[name] : undefined;
  // Same rule as row policies: a parameter nobody supplied denies the query.
  if (value === undefined || value === null) {
    throw new InsightError('ERR_POLICY_PARAM_MISSING', `No value for the parameter "${name}"`, { param: name });
  }
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint' || value instanceof Date || (typeof value === 'number' && Number.isFinite(value))) {
    return value;
  }
  throw new InsightError('ERR_VALIDATION', `The parameter "${name}" must be a string, number, boolean or date`, { param: name });
}

/** Layers 1-3: text checks, parse, walk. The statement comes back canonicalised, dataset references not yet replaced. */
function analyse(sql: string, dialect: Dialect, isDataset: (name: string) => boolean, keysOf?: (dataset: string) => DatasetKeys | undefined) {
  if (dialect !== 'postgres' && dialect !== 'mysql') throw new InsightError('ERR_VALIDATION', 'Unknown SQL dialect');
  const prepared = prepareSql(sql, dialect);

  const statements = parseStatements(prepared.text, dialect);
  const [statement] = statements;
  if (!statement) throw new InsightError('ERR_SQL_PARSE', 'The SQL has no statement');
  if (statements.length !== 1) throw new InsightError('ERR_SQL_NOT_ALLOWED', 'Only one statement is allowed');

  const placeholders = new Set(prepared.placeholders.map((_, i) => placeholderMarker(i)));
  const checked = checkStatement(statement, { dialect, mode: 'rewrite', isDataset, placeholders, quotedIdentifiers: prepared.quotedIdentifiers, ...(keysOf ? { keysOf } : {}) });
  // Each {{param}} in code must have become exactly one bound value (not text inside a literal).
  if (checked.placeholders.length !== placeholders.size || new Set(checked.placeholders.map((p) => p.value)).size !== placeholders.size) {
    throw new InsightError('ERR_SQL_NOT_ALLOWED', 'A {{param}} placeholder is not in a place where a value can be bound');
  }
  return { prepared, statement, checked };
}

/**
 * The datasets a query over datasets would read, without compiling anything:
 * lets the caller build policy sources for those datasets only. Refuses SQL
 * exactly as guardSql does, except that placeholder values are not needed.
 *
 * @example
 * referencedDatasets({ sql: 'select * from Orders o join customers c on c.id = o.customer_id', dialect: 'mysql', datasets: ['orders', 'customers', 'products'] });
 * // ['orders', 'customers']
 */
export function referencedDatasets(input: { sql: string; dialect: Dialect; datasets: readonly string[] }): string[] {
  const byName = indexDatasets(input.datasets, (name) => name);
  const { checked } = analyse(input.sql, input.dialect, (name) => byName.has(name));
  return [...new Set(checked.relations.flatMap((r) => (r.dataset === undefined ? [] : [byName.get(r.dataset) as string])))];
}

/**
 * What layers 1-4 conclude for one SQL text, dialect and set of visible
 * datasets with their policy source texts. Parameter values (the viewer's
 * policy parameters, the {{param}} values) play no part in any check, only in
 * binding, so a card's SQL is parsed and verified once and then only bound:
 * for every viewer whose sources have the same text, the regenerated text and
 * the final SQL are the same, and the final SQL was verified when the plan
 * was made. Refused SQL is never cached.
 */
interface GuardPlan {
  /** The verified regenerated text, with markers. */
  text: string;
  /** Param name of each placeholder marker. */
  placeholders: readonly string[];
  /** Dataset key of each dataset marker. */
  markers: readonly string[];
}

const PLAN_CACHE_SIZE = 500;
const PLAN_CACHE_MAX_SQL = 20_000;
const plans = new Map<string, GuardPlan>();

function planKey(dialect: Dialect, sql: string, datasets: ReadonlyMap<string, GuardDataset>): string {
  const sources = [...datasets.entries()].map(([key, dataset]) => `${key}\u0000${dataset.source.sql}\u0000${JSON.stringify(dataset.keys ?? [])}`).sort();
  return JSON.stringify([dialect, sql, sources]);
}

function rememberPlan(key: string, plan: GuardPlan): void {
  if (plans.size >= PLAN_CACHE_SIZE) plans.delete(plans.keys().next().value as string);
  plans.set(key, plan);
}

/** Layer 4: dataset references become markers; regenerate, verify. */
function makePlan(sql: string, dialect: Dialect, datasets: ReadonlyMap<string, GuardDataset>, params: Readonly<Record<string, unknown>>): GuardPlan {
  const { prepared, statement, checked } = analyse(sql, dialect, (name) => datasets.has(name), (name) => datasets.get(name)?.keys);
  const values = prepared.placeholders.map((name) => paramValue(params, name));
  const markers: string[] = [];
  for (const relation of checked.relations) {
    if (relation.dataset === undefined) continue;
    relation.node.table = datasetMarker(markers.length);
    markers.push(relation.dataset);
  }
  const sources = markers.map((marker) => (datasets.get(marker) as GuardDataset).source);
  const regenerate = { dialect, text: sqlifyStatement(statement, dialect), sources, values };
  verifyRegenerated(regenerate);
  verifyFinal(spliceSources(regenerate), regenerate);
  return { text: regenerate.text, placeholders: prepared.placeholders, markers };
}

/**
 * Checks SQL written over datasets and rewrites it so that every dataset
 * reference reads through the viewer's policy subquery. Throws InsightError
 * with a stable code (ERR_VALIDATION, ERR_SQL_PARSE, ERR_SQL_NOT_ALLOWED,
 * ERR_SQL_TABLE_NOT_ALLOWED, ERR_SQL_FUNCTION_NOT_ALLOWED,
 * ERR_POLICY_PARAM_MISSING) when the SQL is refused.
 *
 * @example
 * const guarded = guardSql({
 *   sql: 'select status, count(*) from orders where created_at >= {{since}} group by status',
 *   dialect: 'postgres',
 *   datasets: [{ name: 'orders', source: { sql: 'select * from "orders" where "tenant_id" = ?', parameters: [42] } }],
 *   params: { since: '2024-01-01' },
 * });
 * // guarded.sql: SELECT "status", COUNT(*) FROM (
 * //   select * from "orders" where "tenant_id" = $1
 * // ) AS "orders" WHERE "created_at" >= $2 GROUP BY "status"
 * // guarded.parameters: [42, '2024-01-01']
 */
export function guardSql(input: GuardInput): GuardedSql {
  const { dialect } = input;
  const params = input.params ?? {};
  const datasets = indexDatasets(input.datasets, (dataset) => dataset.name);
  for (const [key, dataset] of datasets) {
    if (typeof dataset.source?.sql !== 'string' || !Array.isArray(dataset.source.parameters)) {
      throw new InsightError('ERR_VALIDATION', `The dataset "${key}" has no policy source`);
    }
  }

  const key = planKey(dialect, input.sql, datasets);
  let plan = plans.get(key);
  if (plan) {
    plans.delete(key); // least recently used goes first
  } else {
    plan = makePlan(input.sql, dialect, datasets, params);
  }
  if (input.sql.length <= PLAN_CACHE_MAX_SQL) rememberPlan(key, plan);

  const picked = plan.markers.map((marker) => datasets.get(marker) as GuardDataset);
  const values = plan.placeholders.map((name) => paramValue(params, name));
  const result = spliceSources({ dialect, text: plan.text, sources: picked.map((d) => d.source), values });
  return { sql: result.sql, parameters: result.parameters, datasets: [...new Set(picked.map((d) => d.name))] };
}
