/**
 * What the question engine knows about a dataset: the columns a viewer may
 * see, with their labels, synonyms and roles. Built from the stored dataset
 * model; columns the viewer must not see never enter it, so no question can
 * name them.
 */
import type { ColumnType } from '@insight-engine/sdk/protocol';
import type { DatasetColumn } from '../../store/store-schema.ts';

export interface AskColumn {
  name: string;
  label: string;
  type: ColumnType;
  role: 'dimension' | 'measure' | 'time';
  synonyms: string[];
  description?: string;
  format?: string;
}

/** Columns the viewer may see: policy/locked columns already removed by the caller. */
export interface AskDataset {
  name: string;
  label: string;
  description?: string;
  columns: AskColumn[];
}

/** Distinct values (<= ~200) of a low-cardinality string column as the viewer may see them (row policy applied by the caller). */
export type ValueLookup = (dataset: string, column: string) => Promise<string[]>;

/** The stored dataset fields the question engine reads (a `DatasetRow` or a `DatasetDefinition` fits). */
export interface StoredDatasetModel {
  name: string;
  label: string;
  description?: string | null;
  columns: readonly DatasetColumn[];
  /** The row policy (`row_policy` of a stored row, `rowPolicy` of a definition); columns it names are left out. */
  row_policy?: string | null;
  rowPolicy?: string | null;
}

const humanize = (name: string) => name.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());

/** Columns a row policy reads (`tenant_id = {{tenant_id}}` -> tenant_id): they only ever hold the viewer's own value. */
function policyColumns(policy: string | null | undefined): Set<string> {
  if (!policy) return new Set();
  const withoutParams = policy.replace(/\{\{\s*\w+\s*\}\}/g, ' ').replace(/'(?:[^']|'')*'/g, ' ');
  return new Set([...withoutParams.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)].map((m) => m[0].toLowerCase()));
}

/**
 * The question engine's view of a stored dataset, without the columns named
 * in `hiddenColumns` and without columns its row policy reads.
 *
 * @example
 * const dataset = askDatasetFromDataset(await datasets.getByName(orgId, 'sales'), ['customer']);
 * dataset.columns.map((c) => c.name) // ['order_id', 'order_date', 'status', 'region', ...] without 'customer'
 */
export function askDatasetFromDataset(dataset: StoredDatasetModel, hiddenColumns: Iterable<string> | { hiddenColumns?: Iterable<string> } = []): AskDataset {
  const hidden = new Set<string>();
  const list = Symbol.iterator in hiddenColumns ? hiddenColumns : (hiddenColumns.hiddenColumns ?? []);
  for (const name of list) hidden.add(name.toLowerCase());
  for (const name of policyColumns(dataset.row_policy ?? dataset.rowPolicy)) hidden.add(name);
  return {
    name: dataset.name,
    label: dataset.label,
    ...(dataset.description ? { description: dataset.description } : {}),
    columns: dataset.columns
      .filter((c) => !hidden.has(c.name.toLowerCase()))
      .map((c) => ({
        name: c.name,
        label: c.label ?? humanize(c.name),
        type: c.type,
        role: c.role,
        synonyms: [...(c.synonyms ?? [])],
        ...(c.description ? { description: c.description } : {}),
        ...(c.format ? { format: c.format } : {}),
      })),
  };
}

/** The dataset's measures, the most telling first: money (a formatted measure), then the most described. */
export function rankedMeasures(dataset: AskDataset): AskColumn[] {
  return dataset.columns
    .filter((c) => c.role === 'measure' && c.type === 'number')
    .map((c, k) => ({ c, k, weight: (c.format ? 10 : 0) + c.synonyms.length }))
    .sort((a, b) => b.weight - a.weight || a.k - b.k)
    .map((x) => x.c);
}
