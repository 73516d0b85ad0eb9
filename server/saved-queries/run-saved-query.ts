/**
 * Runs a saved query through the query engine with the caller's parameters,
 * exactly as the same structured query or SQL sent directly would run: row
 * policies, the SQL guard, the cache and the query history all apply.
 */
import { InsightError } from '../errors/insight-error.ts';
import type { QueryActor } from '../history/query-history.ts';
import type { EngineResult, QueryEngine } from '../query/query-engine.ts';
import { structuredQuerySchema } from '../query/structured-query.ts';
import type { SavedQueryRow } from '../store/store-schema.ts';

export interface RunSavedQueryRequest {
  orgId: string;
  savedQuery: SavedQueryRow;
  /** Row policy parameters and `{{param}}` values. */
  params: Readonly<Record<string, unknown>>;
  signal?: AbortSignal;
  actor?: QueryActor;
}

/**
 * @example
 * const result = await runSavedQuery(engine, { orgId, savedQuery: await savedQueries.get(orgId, id), params: { tenant_id: 1 } });
 * const body = resultBody(result);
 */
export async function runSavedQuery(engine: QueryEngine, request: RunSavedQueryRequest): Promise<EngineResult> {
  const { orgId, savedQuery, params, signal, actor } = request;
  if (savedQuery.kind === 'structured') {
    // Read back through the schema: a query stored by an older version gets today's defaults, or a stable refusal.
    const parsed = structuredQuerySchema.safeParse(savedQuery.query);
    if (!parsed.success) throw new InsightError('ERR_QUERY_INVALID', 'The saved query is no longer a valid structured query');
    return engine.runStructured({ orgId, query: parsed.data, params, signal, actor, cacheTtlSeconds: savedQuery.cache_ttl_seconds });
  }
  if (savedQuery.connection_id === null || savedQuery.sql === null) {
    throw new InsightError('ERR_QUERY_INVALID', 'The saved query has no SQL');
  }
  // The connection was proven the organisation's when the query was saved, and a connection never changes organisation.
  return engine.runSql({ orgId, connectionId: savedQuery.connection_id, sql: savedQuery.sql, params, signal, actor, cacheTtlSeconds: savedQuery.cache_ttl_seconds });
}
