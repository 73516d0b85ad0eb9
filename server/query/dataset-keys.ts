/**
 * Keys of datasets, for the SQL guard's GROUP BY rule (group-by-keys.ts):
 * a dataset over a warehouse table has that table's primary key, as the
 * connection's last introspected schema records it, provided the dataset
 * publishes every column of it. A dataset over its own SELECT has none.
 */
import type { SchemaInfo } from '../connectors/connector.ts';
import type { DatasetKeys } from './sql-guard/group-by-keys.ts';
import type { DatasetRow } from '../store/store-schema.ts';

/** Lower-case table name -> its primary key columns, from an introspected schema. */
export function primaryKeys(schema: Pick<SchemaInfo, 'tables'> | undefined): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const table of schema?.tables ?? []) {
    const key = table.columns.filter((c) => c.primaryKey).map((c) => c.name);
    if (key.length > 0) keys.set(table.name.toLowerCase(), key);
  }
  return keys;
}

/**
 * The keys a dataset declares through its table.
 *
 * @example
 * datasetKeys({ source_table: 'orders', columns: [{ name: 'id', ... }, ...] }, new Map([['orders', ['id']]])) // [['id']]
 */
export function datasetKeys(dataset: Pick<DatasetRow, 'source_table' | 'columns'>, tables: ReadonlyMap<string, readonly string[]>): DatasetKeys | undefined {
  if (!dataset.source_table) return undefined;
  const key = tables.get(dataset.source_table.toLowerCase());
  const published = new Set(dataset.columns.map((c) => c.name));
  return key && key.every((column) => published.has(column)) ? [key] : undefined;
}
