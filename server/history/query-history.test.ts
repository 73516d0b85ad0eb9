import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../store/open-store.ts';
import { createQueryHistory, type QueryHistoryEntry } from './query-history.ts';

let store: Store;

const entry = (overrides: Partial<QueryHistoryEntry> = {}): QueryHistoryEntry => ({
  orgId: 'org_h',
  actor: { type: 'api_key', id: 'k_1' },
  datasetName: 'sales',
  connectionId: 'c_1',
  durationMs: 12.4,
  rowCount: 3,
  fromCache: false,
  status: 'ok',
  errorCode: undefined,
  ...overrides,
});

beforeAll(async () => {
  store = await openStore({ dataDir: 'memory://' });
  await store.db.insertInto('organisations').values([{ id: 'org_h', name: 'H', slug: 'h' }, { id: 'org_other', name: 'O', slug: 'o' }]).execute();
});

afterAll(async () => {
  await store?.close();
});

describe('createQueryHistory', () => {
  it('writes entries in the background and lists them newest first, page by page', async () => {
    const history = createQueryHistory(store.db);
    for (let i = 0; i < 5; i++) {
      history.recordQuery(entry({ datasetName: `ds_${i}` }));
      // Distinct timestamps make "newest first" observable.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    history.recordQuery(entry({ orgId: 'org_other', datasetName: 'elsewhere' }));
    history.recordQuery(entry({ datasetName: 'broken', status: 'error', errorCode: 'ERR_QUERY_TIMEOUT', rowCount: undefined, actor: { type: 'embed', id: 'host-user-1' } }));
    await history.flush();
    expect(history.stats()).toEqual({ written: 7, failed: 0, dropped: 0 });

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await history.list('org_h', { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.datasetName));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(['broken', 'ds_4', 'ds_3', 'ds_2', 'ds_1', 'ds_0']);

    const errors = await history.list('org_h', { limit: 10, status: 'error' });
    expect(errors.items).toEqual([
      expect.objectContaining({ datasetName: 'broken', status: 'error', errorCode: 'ERR_QUERY_TIMEOUT', rowCount: null, actor: { type: 'embed', id: 'host-user-1' } }),
    ]);
    expect(errors.nextCursor).toBeNull();
    const first = (await history.list('org_h', { limit: 10, status: 'ok' })).items[0];
    expect(first).toMatchObject({ datasetName: 'ds_4', durationMs: 12, rowCount: 3, fromCache: false, connectionId: 'c_1', actor: { type: 'api_key', id: 'k_1' } });
  });

  it('folds repeat cache hits of one viewer into one entry that counts them', async () => {
    const history = createQueryHistory(store.db);
    for (let i = 0; i < 50; i++) history.recordQuery(entry({ datasetName: 'hot', fromCache: true, durationMs: i, actor: { type: 'embed', id: 'viewer-a' } }));
    history.recordQuery(entry({ datasetName: 'hot', fromCache: true, actor: { type: 'embed', id: 'viewer-b' } }));
    history.recordQuery(entry({ datasetName: 'hot', fromCache: false, actor: { type: 'embed', id: 'viewer-a' } }));
    await history.flush();
    const items = (await history.list('org_h', { limit: 50 })).items.filter((i) => i.datasetName === 'hot');
    expect(items.map((i) => [i.actor?.id, i.fromCache, i.runs]).sort()).toEqual([
      ['viewer-a', false, 1],
      ['viewer-a', true, 50],
      ['viewer-b', true, 1],
    ]);
    expect(items.find((i) => i.runs === 50)?.durationMs).toBe(49);
  });

  it('swallows and counts a failed write', async () => {
    const errors: unknown[] = [];
    const history = createQueryHistory(store.db, { onError: (e) => errors.push(e) });
    // No such organisation: the foreign key refuses the row.
    history.recordQuery(entry({ orgId: 'org_missing' }));
    await history.flush();
    expect(history.stats()).toEqual({ written: 0, failed: 1, dropped: 0 });
    expect(errors).toHaveLength(1);
  });

  it('drops entries past the pending limit instead of queueing without bound', async () => {
    const history = createQueryHistory(store.db, { maxPending: 2 });
    for (let i = 0; i < 5; i++) history.recordQuery(entry());
    await history.flush();
    expect(history.stats()).toEqual({ written: 2, failed: 0, dropped: 3 });
  });

  it('refuses a cursor it did not issue with ERR_VALIDATION', async () => {
    const history = createQueryHistory(store.db);
    await expect(history.list('org_h', { limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });
});
