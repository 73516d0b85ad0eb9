import { describe, expect, it } from 'vitest';
import { MemoryResultCache } from '../cache/memory-result-cache.ts';
import type { ConnectionRegistry } from '../connectors/connection-registry.ts';
import type { Connector } from '../connectors/connector.ts';
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { QueryHistoryEntry } from '../history/query-history.ts';
import type { DatasetRow } from '../store/store-schema.ts';
import { createQueryEngine, finishPayload, payloadRowCount } from './query-engine.ts';

const dataset = {
  id: 'd_1',
  org_id: 'org_1',
  connection_id: 'c_1',
  name: 'orders',
  source_table: 'orders',
  source_sql: null,
  row_policy: 'tenant_id = {{tenant_id}}',
  cache_ttl_seconds: null,
  columns: [{ name: 'status', type: 'string', role: 'dimension' }],
} as unknown as DatasetRow;

const connector: Connector = {
  dialect: 'postgres',
  execute: async () => ({ columns: [{ name: 'status', type: 'string' }], rows: [['paid'], ['shipped']], truncated: false }),
  test: async () => {},
  introspect: async () => ({ tables: [] }),
  close: async () => {},
};

function engineWith(recordQuery: (entry: QueryHistoryEntry) => void) {
  return createQueryEngine({
    datasets: { getByName: async (_org: string, name: string) => {
      if (name !== 'orders') throw new InsightError('ERR_DATASET_NOT_FOUND');
      return dataset;
    } } as unknown as DatasetRepository,
    connections: { get: async () => connector } as unknown as ConnectionRegistry,
    cache: new MemoryResultCache(),
    settings: () => ({ statementTimeoutMs: 1000, rowCap: 100, cacheTtlSeconds: 60 }),
    history: { recordQuery },
  });
}

const query = (name = 'orders') => ({ dataset: name, dimensions: [{ column: 'status' }], measures: [], filters: [], sort: [] });

describe('query engine history', () => {
  it('records a run with its actor, row count and cache state', async () => {
    const entries: QueryHistoryEntry[] = [];
    const engine = engineWith((e) => entries.push(e));
    const actor = { type: 'embed' as const, id: 'host-user-1' };
    await engine.runStructured({ orgId: 'org_1', query: query(), params: { tenant_id: 1 }, actor });
    await engine.runStructured({ orgId: 'org_1', query: query(), params: { tenant_id: 1 }, actor });
    expect(entries).toEqual([
      expect.objectContaining({ orgId: 'org_1', actor, datasetName: 'orders', connectionId: 'c_1', rowCount: 2, fromCache: false, status: 'ok', errorCode: undefined }),
      expect.objectContaining({ rowCount: 2, fromCache: true, status: 'ok' }),
    ]);
  });

  it('records a failed run with its code, and rethrows the error itself', async () => {
    const entries: QueryHistoryEntry[] = [];
    const engine = engineWith((e) => entries.push(e));
    await expect(engine.runStructured({ orgId: 'org_1', query: query(), params: {} })).rejects.toMatchObject({ code: 'ERR_POLICY_PARAM_MISSING' });
    await expect(engine.runStructured({ orgId: 'org_1', query: query('nope'), params: {} })).rejects.toMatchObject({ code: 'ERR_DATASET_NOT_FOUND' });
    expect(entries).toEqual([
      expect.objectContaining({ status: 'error', errorCode: 'ERR_POLICY_PARAM_MISSING', connectionId: 'c_1', rowCount: undefined, actor: undefined }),
      expect.objectContaining({ status: 'error', errorCode: 'ERR_DATASET_NOT_FOUND', connectionId: undefined, datasetName: 'nope' }),
    ]);
  });

  it('never fails a query because the history sink throws', async () => {
    const engine = engineWith(() => {
      throw new Error('store down');
    });
    const result = await engine.runStructured({ orgId: 'org_1', query: query(), params: { tenant_id: 1 } });
    expect(payloadRowCount(result.payload)).toBe(2);
  });
});

describe('payloadRowCount', () => {
  it('reads the row count from the tail of an engine payload', () => {
    const payload = new TextEncoder().encode('{"columns":[],"rows":[[1],[2],[3]],"rowCount":3,"truncated":true');
    expect(payloadRowCount(payload)).toBe(3);
    expect(payloadRowCount(new TextEncoder().encode('{"rows":[]'))).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(finishPayload(payload, { fromCache: false })))).toMatchObject({ rowCount: 3, fromCache: false });
  });
});
