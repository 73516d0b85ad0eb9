/**
 * The one path from any request to a customer database: card data, filter
 * values, exports, drill-downs and questions all come through here. It
 * compiles (or guards) the SQL, confines it to the viewer's rows, runs it in
 * the connector's envelope and caches the serialised result, keyed by the
 * regenerated SQL and its bound parameters so two viewers with different
 * parameters can never share an entry.
 */
import type { ColumnInfo, Connector, Dialect, ExecuteResult } from '../connectors/connector.ts';
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import { resultCacheKey, type ResultCache } from '../cache/result-cache.ts';
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { isInsightError } from '../errors/insight-error.ts';
import type { QueryActor, QueryHistoryEntry, QueryHistorySink } from '../history/query-history.ts';
import type { DatasetColumn, DatasetRow } from '../store/store-schema.ts';
import { compileDatasetSelect, compileStructuredQuery, type CompiledSql } from './compile-query.ts';
import { checkColumns } from './sql-guard/check-columns.ts';
import { datasetKeys } from './dataset-keys.ts';
import { guardSql, referencedDatasets } from './sql-guard/guard-sql.ts';
import { dimensionAlias, measureAlias, resolveRelativeDates, type StructuredQuery } from './structured-query.ts';

export interface EngineSettings {
  statementTimeoutMs: number;
  rowCap: number;
  cacheTtlSeconds: number;
}

export interface StructuredRequest {
  orgId: string;
  query: StructuredQuery;
  /** The viewer's locked parameters (embed token params). */
  params: Readonly<Record<string, unknown>>;
  signal?: AbortSignal;
  /** Who asks, for the query history (API key id, user id, or the embed viewer's `sub`). */
  actor?: QueryActor;
  /** Result cache lifetime for this query (a card's or saved query's own); else the dataset's, else the default. */
  cacheTtlSeconds?: number | null;
}

export interface EngineResult {
  /**
   * The serialised result as an unterminated JSON object:
   * `{"columns":[...],"rows":[...],"rowCount":n,"truncated":b` — callers append
   * per-request members and the closing brace, so a cache hit never re-serialises rows.
   */
  payload: Uint8Array;
  fromCache: boolean;
  cacheAgeMs: number;
  executionMs: number;
}

export interface SqlRequest {
  orgId: string;
  /** The connection whose datasets the SQL reads. */
  connectionId: string;
  /** SQL over dataset names, with optional `{{param}}` placeholders. */
  sql: string;
  /** Locked parameters for row policies and `{{param}}` placeholders (token params, or an admin's test params). */
  params: Readonly<Record<string, unknown>>;
  signal?: AbortSignal;
  actor?: QueryActor;
  cacheTtlSeconds?: number | null;
}

export interface QueryEngine {
  runStructured(request: StructuredRequest): Promise<EngineResult>;
  /** Runs SQL over datasets through the SQL guard: only the regenerated, policy-confined SQL reaches the database. */
  runSql(request: SqlRequest): Promise<EngineResult>;
}

/** Compiled SQL with its result-cache key (connection + SQL + typed parameters). */
interface CompiledQueryWithKey extends CompiledSql {
  cacheKey: string;
}

interface Seen {
  datasetName: string;
  connectionId?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Finishes an engine payload into a complete JSON document with the given extra members. */
export function finishPayload(payload: Uint8Array, extra: Record<string, unknown>): Uint8Array<ArrayBuffer> {
  const tail = encoder.encode(JSON.stringify(extra).replace(/^\{(?!\})/, ',').replace(/^\{\}$/, '}'));
  const out = new Uint8Array(payload.length + tail.length);
  out.set(payload, 0);
  out.set(tail, payload.length);
  return out;
}

/** The card-data response body of a result: rows plus where they came from and what they cost. */
export function resultBody(result: EngineResult): Uint8Array<ArrayBuffer> {
  return finishPayload(result.payload, { fromCache: result.fromCache, cacheAgeMs: result.cacheAgeMs, executionMs: result.executionMs });
}

function describeColumns(columns: ColumnInfo[], query: StructuredQuery, datasetColumns: DatasetColumn[]) {
  const meta = new Map(datasetColumns.map((c) => [c.name, c]));
  const described = new Map<string, { label?: string; format?: string; aggregate?: StructuredQuery['measures'][number]['agg'] }>();
  for (const d of query.dimensions) {
    const c = meta.get(d.column);
    described.set(dimensionAlias(d), { label: c?.label ?? d.column, ...(c?.format && !d.grain ? { format: c.format } : {}) });
  }
  for (const m of query.measures) {
    const c = m.column ? meta.get(m.column) : undefined;
    const label = m.agg === 'count' && !m.column ? 'Count' : m.agg === 'count' || m.agg === 'count_distinct' ? `Count of ${c?.label ?? m.column}` : (c?.label ?? m.column ?? m.agg);
    const keepsFormat = m.agg !== 'count' && m.agg !== 'count_distinct';
    described.set(measureAlias(m), { label, ...(keepsFormat && c?.format ? { format: c.format } : {}), aggregate: m.agg });
  }
  return columns.map((column) => ({ ...column, ...(described.get(column.name) ?? (meta.get(column.name) ? { label: meta.get(column.name)?.label ?? column.name, ...(meta.get(column.name)?.format ? { format: meta.get(column.name)?.format } : {}) } : {})) }));
}

/**
 * The row count of a finished or cached payload, read from its tail
 * (`..."rowCount":n,"truncated":b`) so a cache hit costs no parse of the rows.
 */
export function payloadRowCount(payload: Uint8Array): number | undefined {
  const tail = decoder.decode(payload.subarray(Math.max(0, payload.length - 64)));
  const match = /"rowCount":(\d+),"truncated":(?:true|false)$/.exec(tail);
  return match ? Number(match[1]) : undefined;
}

/**
 * Compiling is pure, and repeat views send the same query with the same
 * params, so compiled SQL is memoised (bounded; the dataset version is in the
 * key so an edited dataset compiles afresh).
 */
function createCompileMemo(limit = 2000) {
  const memo = new Map<string, CompiledQueryWithKey>();
  return (query: StructuredQuery, dataset: DatasetRow, dialect: Dialect, params: Readonly<Record<string, unknown>>): CompiledQueryWithKey => {
    const key = `${dataset.id}\u0000${dataset.version}\u0000${dataset.connection_id}\u0000${dialect}\u0000${JSON.stringify(query)}\u0000${JSON.stringify(params)}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const compiled = compileStructuredQuery(query, dataset, { dialect, params });
    const entry = { ...compiled, cacheKey: resultCacheKey({ connectionId: dataset.connection_id, sql: compiled.sql, params: compiled.parameters }) };
    if (memo.size >= limit) memo.delete(memo.keys().next().value as string);
    memo.set(key, entry);
    return entry;
  };
}

export function createQueryEngine(deps: {
  datasets: DatasetRepository;
  connections: ConnectionRegistry;
  cache: ResultCache;
  /** The statement timeout, row cap and default cache lifetime of an organisation's queries. */
  settings: (orgId: string) => EngineSettings | Promise<EngineSettings>;
  /** Receives one entry per run, ok or failed; must not block. */
  history?: QueryHistorySink;
  /**
   * Primary keys of a connection's tables (lower-case table name -> columns),
   * from its introspected schema: SQL grouped by a dataset's key may then use
   * the dataset's other columns, as it may over the table itself.
   */
  tableKeys?: (orgId: string, connectionId: string) => Promise<ReadonlyMap<string, readonly string[]>>;
}): QueryEngine {
  const compileCached = createCompileMemo();
  /** Serves from the cache or runs the statement once, serialising the result to cacheable bytes. */
  async function cachedExecute(
    orgId: string,
    connector: Connector,
    target: { connectionId: string; ttlSeconds: number | null; datasetIds: readonly string[] },
    compiled: CompiledQueryWithKey,
    describe: (columns: ColumnInfo[]) => ColumnInfo[],
    signal: AbortSignal | undefined,
  ): Promise<EngineResult> {
    const settings = await deps.settings(orgId);
    const key = compiled.cacheKey;
    const started = performance.now();
    const cached = await deps.cache.getOrCompute(
      key,
      { ttlSeconds: target.ttlSeconds ?? settings.cacheTtlSeconds, tags: [...target.datasetIds.map((id) => `dataset:${id}`), `connection:${target.connectionId}`], signal },
      // The statement runs under the flight's signal, not this viewer's: others may have joined it.
      async (flightSignal) => {
        const result: ExecuteResult = await connector.execute(compiled.sql, compiled.parameters, {
          timeoutMs: settings.statementTimeoutMs,
          maxRows: settings.rowCap,
          signal: flightSignal,
        });
        const body = JSON.stringify({ columns: describe(result.columns), rows: result.rows, rowCount: result.rows.length, truncated: result.truncated });
        return encoder.encode(body.slice(0, -1));
      },
    );
    return {
      payload: cached.bytes,
      fromCache: cached.fromCache,
      cacheAgeMs: Math.round(cached.ageMs),
      executionMs: Math.round(performance.now() - started),
    };
  }

  /** `seen` collects what the history needs to know even when the run fails halfway. */
  async function run(request: StructuredRequest, seen: Seen): Promise<EngineResult> {
    const dataset = await deps.datasets.getByName(request.orgId, request.query.dataset);
    seen.connectionId = dataset.connection_id;
    const connector = await deps.connections.get(request.orgId, dataset.connection_id);
    const compiled = compileCached(request.query, dataset, connector.dialect, request.params);
    return cachedExecute(
      request.orgId,
      connector,
      { connectionId: dataset.connection_id, ttlSeconds: request.cacheTtlSeconds ?? dataset.cache_ttl_seconds, datasetIds: [dataset.id] },
      compiled,
      (columns) => describeColumns(columns, request.query, dataset.columns),
      request.signal,
    );
  }

  async function runGuarded(request: SqlRequest, seen: Seen): Promise<EngineResult> {
    seen.connectionId = request.connectionId;
    const connector = await deps.connections.get(request.orgId, request.connectionId);
    const visible = new Map((await deps.datasets.list(request.orgId)).filter((d) => d.connection_id === request.connectionId).map((d) => [d.name.toLowerCase(), d]));
    const names = referencedDatasets({ sql: request.sql, dialect: connector.dialect, datasets: [...visible.keys()] });
    const used = names.map((name) => visible.get(name) as DatasetRow);
    seen.datasetName = names.join(',');
    // Declared columns only, whoever wrote the SQL; `*` is safe because each dataset's subquery selects only those.
    checkColumns(request.sql, connector.dialect, new Map(used.map((d) => [d.name, new Set(d.columns.map((c) => c.name))])), { star: true });
    // Keys matter only to a GROUP BY; other SQL does not wait for the schema.
    const tables = deps.tableKeys && /\bgroup\s+by\b/i.test(request.sql) ? await deps.tableKeys(request.orgId, request.connectionId).catch(() => undefined) : undefined;
    const guarded = guardSql({
      sql: request.sql,
      dialect: connector.dialect,
      datasets: used.map((d) => {
        const keys = tables ? datasetKeys(d, tables) : undefined;
        return { name: d.name.toLowerCase(), source: compileDatasetSelect(d, { dialect: connector.dialect, params: request.params }), ...(keys ? { keys } : {}) };
      }),
      params: request.params,
    });
    const ttls = used.map((d) => d.cache_ttl_seconds).filter((t): t is number => t !== null);
    return cachedExecute(
      request.orgId,
      connector,
      { connectionId: request.connectionId, ttlSeconds: request.cacheTtlSeconds ?? (ttls.length > 0 ? Math.min(...ttls) : null), datasetIds: used.map((d) => d.id) },
      { ...guarded, cacheKey: resultCacheKey({ connectionId: request.connectionId, sql: guarded.sql, params: guarded.parameters }) },
      (columns) => columns,
      request.signal,
    );
  }

  /** Runs one request and records it in the history, ok or failed. */
  async function recorded(request: { orgId: string; actor?: QueryActor | undefined }, datasetName: string, body: (seen: Seen) => Promise<EngineResult>) {
    const started = performance.now();
    const seen: Seen = { datasetName };
    const record = (entry: Pick<QueryHistoryEntry, 'status' | 'rowCount' | 'fromCache' | 'errorCode'>) => {
      if (!deps.history) return;
      try {
        deps.history.recordQuery({
          orgId: request.orgId,
          actor: request.actor,
          datasetName: seen.datasetName,
          connectionId: seen.connectionId,
          durationMs: performance.now() - started,
          ...entry,
        });
      } catch {
        // The history must never fail a query.
      }
    };
    try {
      const result = await body(seen);
      record({ status: 'ok', rowCount: payloadRowCount(result.payload), fromCache: result.fromCache, errorCode: undefined });
      return result;
    } catch (error) {
      record({ status: 'error', rowCount: undefined, fromCache: false, errorCode: isInsightError(error) ? error.code : 'ERR_INTERNAL' });
      throw error;
    }
  }

  return {
    // Relative dates resolve before anything is memoised or cached, so "last 30 days" follows the calendar.
    runStructured: (request) => recorded(request, request.query.dataset, (seen) => run({ ...request, query: resolveRelativeDates(request.query) }, seen)),
    runSql: (request) => recorded(request, '', (seen) => runGuarded(request, seen)),
  };
}
