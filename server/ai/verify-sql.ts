/**
 * Checks SQL over datasets before anyone relies on it: parse and guard (with
 * stand-in policy values when no params are given), then, with params, ask
 * the database to plan the guard's regenerated SQL (EXPLAIN, never run) for
 * its row estimate. A connector that cannot explain gets the older probe
 * instead: a count through the query engine within a short budget. Either
 * way, a check that runs out of time reports no estimate.
 */
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import { NO_ESTIMATE } from '../connectors/explain-estimate.ts';
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { InsightError, isInsightError } from '../errors/insight-error.ts';
import type { QueryActor } from '../history/query-history.ts';
import { compileDatasetSelect } from '../query/compile-query.ts';
import { policyParams } from '../query/dataset-source.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import { guardSql, referencedDatasets, type GuardedSql } from '../query/sql-guard/guard-sql.ts';
import type { DatasetRow } from '../store/store-schema.ts';
import { readResult } from './answer-result.ts';

export interface VerifyResult {
  isValid: boolean;
  /**
   * The database's estimate from EXPLAIN: rows returned (PostgreSQL, PGlite)
   * or rows examined (MySQL, MariaDB); a count where the connector cannot
   * explain. Null when not run (no params) or over budget.
   */
  estimatedRows: number | null;
  warnings: string[];
  errors: Array<{ code: string; message: string }>;
}

export interface VerifyDeps {
  datasets: Pick<DatasetRepository, 'list'>;
  connections: Pick<ConnectionRegistry, 'get'>;
  engine: Pick<QueryEngine, 'runSql'>;
  rowCap: () => number;
}

/** How long the EXPLAIN (or the counting probe) may take before the estimate is given up. */
export const PROBE_BUDGET_MS = 5000;

const asError = (error: unknown) => (isInsightError(error) ? { code: error.code, message: error.message } : { code: 'ERR_INTERNAL', message: 'The SQL could not be checked' });

/**
 * @example
 * await verifySql(deps, { orgId, sql: 'select region, sum(revenue) from sales group by region', params: { tenant_id: 1 } });
 * // { isValid: true, estimatedRows: 5, warnings: [], errors: [] }
 */
export async function verifySql(
  deps: VerifyDeps,
  input: { orgId: string; sql: string; params?: Readonly<Record<string, unknown>> | undefined; connectionId?: string | undefined; actor?: QueryActor; signal?: AbortSignal },
): Promise<VerifyResult> {
  const all = await deps.datasets.list(input.orgId);
  const connectionIds = input.connectionId ? [input.connectionId] : [...new Set(all.map((d) => d.connection_id))];
  if (connectionIds.length === 0) throw new InsightError('ERR_DATASET_NOT_FOUND', 'The organisation has no datasets');

  // The SQL names datasets, not a connection: the first connection whose datasets it reads is the one it runs on.
  let found: { connectionId: string; dialect: 'postgres' | 'mysql'; used: DatasetRow[] } | undefined;
  let firstError: unknown;
  for (const connectionId of connectionIds) {
    const visible = all.filter((d) => d.connection_id === connectionId);
    try {
      const dialect = (await deps.connections.get(input.orgId, connectionId)).dialect;
      const names = referencedDatasets({ sql: input.sql, dialect, datasets: visible.map((d) => d.name.toLowerCase()) });
      found = { connectionId, dialect, used: visible.filter((d) => names.includes(d.name.toLowerCase())) };
      break;
    } catch (error) {
      // A connection whose datasets the SQL does name says more than one where its tables are unknown.
      const unknownTables = isInsightError(error) && error.code === 'ERR_SQL_TABLE_NOT_ALLOWED';
      if (firstError === undefined || (!unknownTables && isInsightError(firstError) && firstError.code === 'ERR_SQL_TABLE_NOT_ALLOWED')) firstError = error;
    }
  }
  if (!found) return { isValid: false, estimatedRows: null, warnings: [], errors: [asError(firstError)] };

  const warnings: string[] = [];
  const needed = [...new Set(found.used.flatMap((d) => policyParams(d.row_policy)))];
  const missing = needed.filter((name) => input.params?.[name] === undefined || input.params[name] === null);
  const params = input.params ?? {};
  const checkParams = { ...Object.fromEntries(missing.map((name) => [name, 0])), ...params };
  let guarded: GuardedSql;
  try {
    guarded = guardSql({
      sql: input.sql,
      dialect: found.dialect,
      datasets: found.used.map((d) => ({ name: d.name.toLowerCase(), source: compileDatasetSelect(d, { dialect: found.dialect, params: checkParams }) })),
      params: checkParams,
    });
  } catch (error) {
    return { isValid: false, estimatedRows: null, warnings, errors: [asError(error)] };
  }
  if (/^\s*select\s+\*/i.test(input.sql) || /select\s+\*\s+from/i.test(input.sql)) warnings.push('SELECT * returns every column of the dataset; name the columns you need');
  if (!/\blimit\s+\d+/i.test(input.sql)) warnings.push(`No LIMIT: results are cut at the row cap (${deps.rowCap()} rows)`);
  if (missing.length > 0) {
    warnings.push(`Not run: give params (${missing.join(', ')}) to check the SQL against the database and estimate its rows`);
    return { isValid: true, estimatedRows: null, warnings, errors: [] };
  }

  const signal = input.signal ? AbortSignal.any([input.signal, AbortSignal.timeout(PROBE_BUDGET_MS)]) : AbortSignal.timeout(PROBE_BUDGET_MS);
  const connector = await deps.connections.get(input.orgId, found.connectionId);
  if (connector.explain) {
    try {
      // Only the guard's regenerated, policy-confined SQL is planned, never the text as sent.
      const plan = await connector.explain(guarded.sql, guarded.parameters, { timeoutMs: PROBE_BUDGET_MS, signal });
      return { isValid: true, estimatedRows: plan.estimatedRows, warnings, errors: [] };
    } catch (error) {
      if (isInsightError(error) && (error.code === 'ERR_QUERY_CANCELLED' || error.code === 'ERR_QUERY_TIMEOUT')) {
        warnings.push(`The database took longer than ${PROBE_BUDGET_MS} ms to plan the SQL; no estimate`);
        return { isValid: true, estimatedRows: null, warnings, errors: [] };
      }
      // A plan this server cannot read is no verdict on the SQL: count instead.
      if (!(isInsightError(error) && error.extensions?.['reason'] === NO_ESTIMATE)) return { isValid: false, estimatedRows: null, warnings, errors: [asError(error)] };
    }
  }

  const body = input.sql.trim().replace(/;\s*$/, '');
  const probe = `select count(*) as estimated_rows from (\n${body}\n) as verify_probe`;
  try {
    const result = await deps.engine.runSql({ orgId: input.orgId, connectionId: found.connectionId, sql: probe, params, signal, cacheTtlSeconds: 60, ...(input.actor ? { actor: input.actor } : {}) });
    const count = readResult(result).rows[0]?.[0];
    return { isValid: true, estimatedRows: typeof count === 'number' ? count : Number(count), warnings, errors: [] };
  } catch (error) {
    if (isInsightError(error) && (error.code === 'ERR_QUERY_CANCELLED' || error.code === 'ERR_QUERY_TIMEOUT')) {
      warnings.push(`The row count took longer than ${PROBE_BUDGET_MS} ms; no estimate`);
      return { isValid: true, estimatedRows: null, warnings, errors: [] };
    }
    if (isInsightError(error) && (error.code === 'ERR_SQL_PARSE' || error.code === 'ERR_SQL_NOT_ALLOWED')) {
      // The SQL passed on its own; only its form inside the probe did not (a WITH in a subquery, say).
      warnings.push('The SQL could not be counted; no estimate');
      return { isValid: true, estimatedRows: null, warnings, errors: [] };
    }
    return { isValid: false, estimatedRows: null, warnings, errors: [asError(error)] };
  }
}
