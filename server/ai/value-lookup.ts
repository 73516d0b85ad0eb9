/**
 * Category values for the question engines (the offline engine matches words
 * against them; the model's prompt shows those of low-cardinality columns).
 * Values are read through the query engine with the viewer's own locked
 * params, so the row policy applies and another tenant's values can never
 * appear. They are kept in memory per dataset version and params.
 */
import { finishPayload, type QueryEngine } from '../query/query-engine.ts';
import type { QueryActor } from '../history/query-history.ts';
import type { ScopedDataset } from './ask-datasets.ts';
import type { ValueLookup } from './offline/interpret-question.ts';

/** Distinct values a category column has at most; a column with more answers [] (it is not a category). */
export const MAX_LOOKUP_VALUES = 200;

export interface ValueLookups {
  /** A lookup for one viewer over its scoped datasets; hidden columns and non-text columns answer []. */
  forViewer(viewer: { orgId: string; params: Readonly<Record<string, unknown>>; actor?: QueryActor }, datasets: readonly ScopedDataset[]): ValueLookup;
}

export interface ValueLookupOptions {
  ttlMs?: number;
  maxEntries?: number;
}

const decoder = new TextDecoder();

/** Params in a stable order, so { a, b } and { b, a } share an entry. */
const paramsKey = (params: Readonly<Record<string, unknown>>) => JSON.stringify(Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * @example
 * const lookups = createValueLookups(engine);
 * const lookup = lookups.forViewer({ orgId, params: viewer.params }, scoped);
 * await lookup('sales', 'region'); // ['West', 'North', ...] as this viewer may see them
 */
export function createValueLookups(engine: Pick<QueryEngine, 'runStructured'>, options: ValueLookupOptions = {}): ValueLookups {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const maxEntries = options.maxEntries ?? 2000;
  const entries = new Map<string, { at: number; values: Promise<string[]> }>();

  return {
    forViewer(viewer, datasets) {
      const byName = new Map(datasets.map((d) => [d.row.name, d]));
      return async function lookup(datasetName, column) {
        const dataset = byName.get(datasetName);
        const meta = dataset?.ask.columns.find((c) => c.name === column);
        if (!dataset || !meta || meta.type !== 'string' || dataset.hidden.has(column.toLowerCase())) return [];
        const key = `${viewer.orgId}\u0000${dataset.row.id}\u0000${dataset.row.version}\u0000${column}\u0000${paramsKey(viewer.params)}`;
        const hit = entries.get(key);
        if (hit && Date.now() - hit.at < ttlMs) {
          entries.delete(key);
          entries.set(key, hit); // most recently used last
          return hit.values;
        }
        const values = engine
          .runStructured({
            orgId: viewer.orgId,
            query: {
              dataset: datasetName,
              dimensions: [{ column, as: 'value' }],
              measures: [{ agg: 'count', as: 'n' }],
              filters: [{ column, op: 'not_null' }],
              sort: [{ field: 'n', direction: 'desc' }],
              limit: MAX_LOOKUP_VALUES + 1,
            },
            params: viewer.params,
            ...(viewer.actor ? { actor: viewer.actor } : {}),
          })
          .then((result) => {
            const data = JSON.parse(decoder.decode(finishPayload(result.payload, {}))) as { rows: unknown[][] };
            // More distinct values than that: not a category column (names, ids), so no values at all.
            if (data.rows.length > MAX_LOOKUP_VALUES) return [];
            return data.rows.map((r) => r[0]).filter((v): v is string => typeof v === 'string' && v.length > 0);
          });
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(key, { at: Date.now(), values });
        values.catch(() => entries.delete(key));
        return values;
      };
    },
  };
}
