/**
 * The history of every query the engine ran: who asked (API key, user or
 * embed viewer), which dataset, how long, how many rows, cached or not, and
 * the error code when it failed. Entries are written in the background: a
 * slow or failing store never delays or fails a query; failures are counted.
 */
import { decodeTimeCursor, encodeTimeCursor } from '../store/page-cursor.ts';
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { QueryActorType, QueryHistoryRow, QueryHistoryTable, StoreSchema } from '../store/store-schema.ts';

export interface QueryActor {
  type: QueryActorType;
  id: string;
}

export interface QueryHistoryEntry {
  orgId: string;
  actor: QueryActor | undefined;
  datasetName: string;
  connectionId: string | undefined;
  durationMs: number;
  rowCount: number | undefined;
  fromCache: boolean;
  status: 'ok' | 'error';
  errorCode: string | undefined;
}

/** What the query engine needs: somewhere to drop an entry without waiting. */
export interface QueryHistorySink {
  recordQuery(entry: QueryHistoryEntry): void;
}

export interface QueryHistoryItem {
  id: string;
  actor: QueryActor | null;
  datasetName: string;
  connectionId: string | null;
  durationMs: number;
  rowCount: number | null;
  fromCache: boolean;
  /** Identical cache hits by the same actor within about a second are one entry; `durationMs` is their longest. */
  runs: number;
  status: 'ok' | 'error';
  errorCode: string | null;
  createdAt: string;
}

export interface QueryHistoryPage {
  items: QueryHistoryItem[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

export interface QueryHistoryStats {
  written: number;
  /** Entries the store refused (errors are swallowed). */
  failed: number;
  /** Entries dropped because too many writes were already pending. */
  dropped: number;
}

export interface QueryHistory extends QueryHistorySink {
  list(orgId: string, options: { limit: number; cursor?: string | undefined; status?: 'ok' | 'error' | undefined }): Promise<QueryHistoryPage>;
  /** Waits for the writes started so far (tests, shutdown). */
  flush(): Promise<void>;
  stats(): QueryHistoryStats;
}

export interface QueryHistoryOptions {
  /** Entries waiting for their batch past which new entries are dropped (default 10,000). */
  maxPending?: number;
  /** How long an entry may wait for its batch (default 1 s). */
  batchDelayMs?: number;
  onError?: (error: unknown) => void;
}



/**
 * @example
 * const history = createQueryHistory(store.db);
 * const engine = createQueryEngine({ ..., history });
 * const { items, nextCursor } = await history.list(orgId, { limit: 50 });
 */
export function createQueryHistory(db: Kysely<StoreSchema>, options: QueryHistoryOptions = {}): QueryHistory {
  const maxPending = options.maxPending ?? 10_000;
  const batchDelayMs = options.batchDelayMs ?? 1000;
  const counts: QueryHistoryStats = { written: 0, failed: 0, dropped: 0 };
  let buffer: Insertable<QueryHistoryTable>[] = [];
  /** Pending cache-hit rows by who and what, so repeat views fold into one row with a count. */
  let hits = new Map<string, Insertable<QueryHistoryTable>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();

  // Every card view is a query, so entries are batched: one multi-row insert
  // per batch instead of a store round trip per request.
  function writeBatch(): Promise<void> {
    timer = undefined;
    const batch = buffer;
    buffer = [];
    hits = new Map();
    if (batch.length === 0) return writing;
    // Written in small statements: the embedded store runs each one on this
    // thread, and short statements keep request latency even while it writes.
    writing = writing.then(async () => {
      for (let i = 0; i < batch.length; i += 100) {
        const chunk = batch.slice(i, i + 100);
        try {
          await db.insertInto('query_history').values(chunk).execute();
          counts.written += chunk.length;
        } catch (error) {
          counts.failed += chunk.length;
          options.onError?.(error);
        }
      }
    });
    return writing;
  }

  return {
    recordQuery(entry) {
      if (buffer.length >= maxPending) {
        counts.dropped++;
        return;
      }
      const actor = entry.actor?.id.slice(0, 200) ?? null;
      const durationMs = Math.max(0, Math.round(entry.durationMs));
      const hitKey = entry.fromCache && entry.status === 'ok' ? [entry.orgId, entry.actor?.type, actor, entry.datasetName, entry.connectionId, entry.rowCount].join('\u0000') : undefined;
      const same = hitKey === undefined ? undefined : hits.get(hitKey);
      if (same) {
        same.runs = (same.runs ?? 1) + 1;
        same.duration_ms = Math.max(same.duration_ms, durationMs);
        return;
      }
      const row: Insertable<QueryHistoryTable> = {
        id: `qh_${randomUUID().replace(/-/g, '')}`,
        org_id: entry.orgId,
        actor,
        actor_type: entry.actor?.type ?? null,
        dataset_name: entry.datasetName,
        connection_id: entry.connectionId ?? null,
        duration_ms: durationMs,
        row_count: entry.rowCount ?? null,
        from_cache: entry.fromCache,
        runs: 1,
        status: entry.status,
        error_code: entry.errorCode ?? null,
        created_at: new Date(),
      };
      buffer.push(row);
      if (hitKey !== undefined) hits.set(hitKey, row);
      if (buffer.length >= 1000) void writeBatch();
      else if (!timer) {
        timer = setTimeout(() => void writeBatch(), batchDelayMs);
        timer.unref?.();
      }
    },

    async list(orgId, { limit, cursor, status }) {
      let query = db.selectFrom('query_history').selectAll().where('org_id', '=', orgId);
      if (status) query = query.where('status', '=', status);
      if (cursor) {
        const after = decodeTimeCursor(cursor);
        query = query.where((eb) => eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((r) => ({
          id: r.id,
          actor: r.actor_type && r.actor ? { type: r.actor_type, id: r.actor } : null,
          datasetName: r.dataset_name,
          connectionId: r.connection_id,
          durationMs: r.duration_ms,
          rowCount: r.row_count,
          fromCache: r.from_cache,
          runs: r.runs,
          status: r.status,
          errorCode: r.error_code,
          createdAt: r.created_at.toISOString(),
        })),
        nextCursor: rows.length > limit && last ? encodeTimeCursor(last.created_at, last.id) : null,
      };
    },

    async flush() {
      if (timer) clearTimeout(timer);
      await writeBatch();
    },

    stats: () => ({ ...counts }),
  };
}
