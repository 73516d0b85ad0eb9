/**
 * Refuses a saved query when it is saved rather than every time it runs:
 * a structured query must name a dataset of the organisation and only its
 * columns; SQL must pass the SQL guard over the datasets of its connection.
 * Nothing is executed, and no viewer's parameters are needed.
 */
import type { ConnectionRepository } from '../connections/connection-repository.ts';
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { compileStructuredQuery } from '../query/compile-query.ts';
import { policyParams } from '../query/dataset-source.ts';
import { checkColumns } from '../query/sql-guard/check-columns.ts';
import { referencedDatasets } from '../query/sql-guard/guard-sql.ts';
import type { SavedQueryDefinition } from './saved-query-repository.ts';

export interface CheckSavedQueryDeps {
  datasets: DatasetRepository;
  /** Proves a connection is the organisation's (the registry is keyed by id alone). */
  connections: ConnectionRepository;
  /** Gives the connection's SQL dialect. */
  registry: ConnectionRegistry;
}

/**
 * Throws the error a run would give for a query that can never run:
 * ERR_DATASET_NOT_FOUND, ERR_COLUMN_UNKNOWN or ERR_QUERY_INVALID for a
 * structured query; ERR_CONNECTION_NOT_FOUND, ERR_SQL_PARSE,
 * ERR_SQL_NOT_ALLOWED (also for a column the datasets do not declare),
 * ERR_SQL_TABLE_NOT_ALLOWED or ERR_SQL_FUNCTION_NOT_ALLOWED for SQL.
 *
 * @example
 * await checkSavedQuery(deps, orgId, { name: 'All facts', kind: 'sql', connectionId: 'conn_demo', sql: 'select * from sales_facts' });
 * // throws ERR_SQL_TABLE_NOT_ALLOWED: sales_facts is a table, not a dataset
 */
export async function checkSavedQuery(deps: CheckSavedQueryDeps, orgId: string, definition: SavedQueryDefinition): Promise<void> {
  if (definition.kind === 'structured') {
    const dataset = await deps.datasets.getByName(orgId, definition.query.dataset);
    const connector = await deps.registry.get(orgId, dataset.connection_id);
    // The compiled SQL is thrown away: compiling is what checks columns and
    // aliases. Policy parameters are stand-ins, as the viewer's are not known yet.
    const standIns = Object.fromEntries(policyParams(dataset.row_policy).map((name) => [name, 0]));
    compileStructuredQuery(definition.query, dataset, { dialect: connector.dialect, params: standIns });
    return;
  }
  await deps.connections.get(orgId, definition.connectionId);
  const connector = await deps.registry.get(orgId, definition.connectionId);
  const datasets = (await deps.datasets.list(orgId)).filter((d) => d.connection_id === definition.connectionId);
  const used = new Set(referencedDatasets({ sql: definition.sql, dialect: connector.dialect, datasets: datasets.map((d) => d.name.toLowerCase()) }));
  // The same declared-columns rule the engine applies when it runs.
  const columns = datasets.filter((d) => used.has(d.name.toLowerCase())).map((d) => [d.name, new Set(d.columns.map((c) => c.name))] as const);
  checkColumns(definition.sql, connector.dialect, new Map(columns), { star: true });
}
