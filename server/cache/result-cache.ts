/**
 * The query result cache: repeat views of a card cost a cache read instead of a
 * warehouse query. In-process by default; shared by every server instance when
 * REDIS_URL is set. Either way identical concurrent misses run the query once.
 */
import { MemoryResultCache } from './memory-result-cache.ts';
import { RedisResultCache } from './redis-result-cache.ts';

export { resultCacheKey } from './result-cache-key.ts';

export interface CachedResult {
  /** Shared with other callers and with the cache: treat as read-only. */
  bytes: Uint8Array;
  /**
   * True when the bytes were read from a stored entry. Callers that waited for
   * a computation already running (single-flight) get false like its starter:
   * they paid the full query time and the data is as fresh as it gets.
   */
  fromCache: boolean;
  /** Time since the bytes were computed (0 when just computed). */
  ageMs: number;
}

export interface ResultCacheStats {
  hits: number;
  /** Calls not served from a stored entry, including those that joined a running computation. */
  misses: number;
  /** Times the cache had to do without Redis (a failed command, or Redis down). Always 0 in process. */
  errors: number;
  /** Callers waiting right now on a computation of this process (single-flight). */
  waiting: number;
  /** In process only: stored bytes and entries. */
  bytes?: number;
  entries?: number;
}

export interface ResultCache {
  /**
   * Returns the cached bytes for key, or runs compute once (single-flight) and
   * stores its bytes for ttlSeconds. tags (e.g. 'dataset:abc',
   * 'connection:xyz') allow invalidation. A failing compute rejects every
   * waiter and stores nothing; a failing cache never fails the call.
   * `signal` is this caller's: its abort rejects only this call
   * (ERR_QUERY_CANCELLED). compute receives the computation's own signal,
   * aborted once every caller waiting on it has left.
   */
  getOrCompute(
    key: string,
    options: { ttlSeconds: number; tags: readonly string[]; signal?: AbortSignal | undefined },
    compute: (signal: AbortSignal) => Promise<Uint8Array>,
  ): Promise<CachedResult>;
  /** Every entry stored under this tag so far reads as missing from now on. */
  invalidateTag(tag: string): Promise<void>;
  stats(): ResultCacheStats;
  close(): Promise<void>;
}

/** Redis state changes arrive once per change; `redis-error` once per failed command. */
export type CacheEvent =
  | { type: 'redis-up' }
  | { type: 'redis-down'; error?: Error }
  | { type: 'redis-error'; error: Error };

export interface ResultCacheOptions {
  /** Share the cache through this Redis; without it the cache lives in this process. */
  redisUrl?: string;
  /** In process: the byte budget of the LRU (default 64 MiB). Both: results over maxBytes/4 are not stored. */
  maxBytes?: number;
  /** Redis key prefix (default 'insight:cache:'). */
  keyPrefix?: string;
  /** How long a Redis compute lock lives (default 15000); keep it above the statement timeout. */
  lockTtlMs?: number;
  /** Defaults to one console.warn per Redis state change. */
  onEvent?: (event: CacheEvent) => void;
}

/**
 * @example
 * const cache = createResultCache({ redisUrl: process.env.REDIS_URL });
 * const key = resultCacheKey({ connectionId, sql, params });
 * const { bytes, fromCache } = await cache.getOrCompute(key, { ttlSeconds: 300, tags: [`dataset:${id}`] }, run);
 */
export function createResultCache(options: ResultCacheOptions = {}): ResultCache {
  const { redisUrl } = options;
  return redisUrl ? new RedisResultCache({ ...options, redisUrl }) : new MemoryResultCache(options);
}
