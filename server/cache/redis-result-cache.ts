import { randomInt, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type ChainableCommander } from 'ioredis';
import { InsightError } from '../errors/insight-error.ts';
import { DEFAULT_MAX_BYTES } from './memory-result-cache.ts';
import type { CacheEvent, CachedResult, ResultCache, ResultCacheStats } from './result-cache.ts';
import { SingleFlight } from './single-flight.ts';

// A cache that waits long for Redis is worse than none: fail fast, compute instead.
const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 1_000;
// A connection that stops answering (not closed, just silent) is dropped and reconnected.
const SOCKET_TIMEOUT_MS = 3_000;
const RECONNECT_MAX_MS = 1_000;
const POLL_FIRST_MS = 25;
const POLL_MAX_MS = 100;

/** Entry layout: format (1 byte), storedAt ms (float64), stamp length (uint32), stamp (JSON), result bytes. */
const FORMAT = 1;
const HEADER_BYTES = 13;

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
// A tag counter starts at a random value instead of 0: should Redis lose it
// (eviction, flush), it restarts somewhere else, so entries stamped with the
// old generations read as stale instead of coming back to life.
const INIT_TAGS = `local out = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i], 'NX')
  out[i] = redis.call('GET', key)
end
return out`;

export interface RedisResultCacheOptions {
  redisUrl: string;
  maxBytes?: number;
  keyPrefix?: string;
  lockTtlMs?: number;
  onEvent?: (event: CacheEvent) => void;
}

interface Snapshot {
  /** Reply of the command sent in the same round trip, if any. */
  lead: unknown;
  hit: CachedResult | undefined;
  /** The current generation of each tag, in tag order. */
  generations: string[];
}

/** What a miss leaves to do: compute, store under these generations, release the lock if we hold it. */
interface Claim {
  generations: string[];
  lockToken?: string;
}

/**
 * The cache shared by all server instances through Redis.
 *
 * - Entries live at `${prefix}r:${key}` (PX ttl), stamped with the generations
 *   of their tags; tag generations are counters at `${prefix}t:${tag}` (INCR to
 *   invalidate). A lookup reads the entry and the counters in one MGET, so
 *   invalidation is O(1) and instant across instances.
 * - No in-process copy in front: it could only be trusted after asking Redis for
 *   the tag generations, which costs the same round trip as the entry itself.
 * - Single-flight in process first (one Redis conversation per key per
 *   instance), then across instances with a lock (`${prefix}l:${key}`, SET NX
 *   PX): the winner computes and stores; the others poll until the entry shows
 *   up, the lock goes away (then try once more to win it) or lockTtlMs passes
 *   (then compute themselves). Polling needs no subscriber connection and
 *   survives a winner that dies.
 * - Redis trouble never fails a call: commands fail fast while disconnected, the
 *   call computes directly, and ioredis reconnects forever in the background.
 *   Invalidations that cannot reach Redis are kept and sent before this
 *   instance reads from Redis again.
 */
export class RedisResultCache implements ResultCache {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #lockTtlMs: number;
  readonly #maxEntryBytes: number;
  readonly #onEvent: (event: CacheEvent) => void;
  readonly #flights = new SingleFlight<CachedResult>();
  readonly #pendingInvalidations = new Set<string>();
  /** Settles after the first connection attempt, so a fresh instance does not start with a stampede. */
  readonly #firstAttempt: Promise<void>;
  #up: boolean | undefined;
  #lastError: Error | undefined;
  #closing = false;
  #hits = 0;
  #misses = 0;
  #errors = 0;

  constructor(options: RedisResultCacheOptions) {
    this.#prefix = options.keyPrefix ?? 'insight:cache:';
    this.#lockTtlMs = options.lockTtlMs ?? 15_000;
    this.#maxEntryBytes = Math.floor((options.maxBytes ?? DEFAULT_MAX_BYTES) / 4);
    this.#onEvent = options.onEvent ?? logStateChange;
    this.#redis = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      // Never give up: the cache comes back by itself when Redis does. Jitter spreads the instances.
      retryStrategy: (times) => Math.min(50 * 2 ** times, RECONNECT_MAX_MS) + randomInt(100),
    });
    // Without an 'error' listener ioredis reports every failed reconnect as unhandled.
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error;
    });
    this.#redis.on('ready', () => this.#setUp(true));
    this.#redis.on('close', () => this.#setUp(false));
    this.#firstAttempt = new Promise((resolve) => {
      const timer = setTimeout(resolve, CONNECT_TIMEOUT_MS * 2).unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#redis.once('ready', done).once('close', done);
    });
  }

  async getOrCompute(
    key: string,
    options: { ttlSeconds: number; tags: readonly string[]; signal?: AbortSignal | undefined },
    compute: (signal: AbortSignal) => Promise<Uint8Array>,
  ): Promise<CachedResult> {
    const tags = [...new Set(options.tags)].sort();
    try {
      const result = await this.#flights.run(key, tags, (signal) => this.#load(key, tags, options.ttlSeconds, compute, signal), options.signal);
      if (result.fromCache) this.#hits++;
      else this.#misses++;
      return { ...result };
    } catch (error) {
      this.#misses++;
      throw error;
    }
  }

  async invalidateTag(tag: string): Promise<void> {
    this.#flights.forgetTag(tag);
    this.#pendingInvalidations.add(tag);
    try {
      await this.#ready();
    } catch (error) {
      this.#failed(error);
    }
  }

  stats(): ResultCacheStats {
    return { hits: this.#hits, misses: this.#misses, errors: this.#errors, waiting: this.#flights.waiting() };
  }

  async close(): Promise<void> {
    this.#closing = true;
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  async #load(key: string, tags: readonly string[], ttlSeconds: number, compute: (signal: AbortSignal) => Promise<Uint8Array>, signal: AbortSignal): Promise<CachedResult> {
    let claim: Claim | undefined;
    try {
      if (await this.#ready()) {
        const found = await this.#findOrClaim(key, tags, signal);
        if ('bytes' in found) return found;
        claim = found;
      } else {
        this.#errors++;
      }
    } catch (error) {
      this.#failed(error);
    }
    let bytes: Uint8Array;
    try {
      // Everyone left while we waited for another instance: nothing to compute for.
      if (signal.aborted) throw new InsightError('ERR_QUERY_CANCELLED');
      bytes = await compute(signal);
    } catch (error) {
      const lockToken = claim?.lockToken;
      if (lockToken) void this.#send((p) => this.#release(p, key, lockToken));
      throw error;
    }
    if (claim) {
      const { generations, lockToken } = claim;
      await this.#send((p) => {
        if (Number.isFinite(ttlSeconds) && ttlSeconds > 0 && bytes.byteLength <= this.#maxEntryBytes) {
          const entry = encodeEntry(bytes, Date.now(), stamp(tags, generations));
          p.set(this.#entryKey(key), entry, 'PX', Math.max(1, Math.ceil(ttlSeconds * 1000)));
        }
        if (lockToken) this.#release(p, key, lockToken);
      });
    }
    return { bytes, fromCache: false, ageMs: 0 };
  }

  /** Returns the stored result, or the right to compute it (holding the lock when we won it). */
  async #findOrClaim(key: string, tags: readonly string[], signal: AbortSignal): Promise<CachedResult | Claim> {
    const first = await this.#read(key, tags);
    if (first.hit) return first.hit;
    const deadline = Date.now() + this.#lockTtlMs;
    for (let attempt = 1; ; attempt++) {
      const lockToken = randomUUID();
      // Read again with the lock attempt: a winner may have stored the entry since.
      const acquire = await this.#read(key, tags, (p) => p.set(this.#lockKey(key), lockToken, 'PX', this.#lockTtlMs, 'NX'));
      const won = acquire.lead === 'OK';
      if (acquire.hit) {
        if (won) void this.#send((p) => this.#release(p, key, lockToken));
        return acquire.hit;
      }
      if (won) return { generations: acquire.generations, lockToken };
      const waited = await this.#waitForEntry(key, tags, deadline, signal);
      if (waited.hit) return waited.hit;
      const lockGone = waited.lead === 0;
      if (!(lockGone && attempt === 1)) return { generations: waited.generations };
    }
  }

  /** Polls with backoff until the entry appears, the lock disappears, the deadline passes or every waiter has left. */
  async #waitForEntry(key: string, tags: readonly string[], deadline: number, signal: AbortSignal): Promise<Snapshot> {
    for (let delay = POLL_FIRST_MS; ; delay = Math.min(delay * 1.5, POLL_MAX_MS)) {
      await sleep(Math.max(0, Math.min(delay, deadline - Date.now())));
      const poll = await this.#read(key, tags, (p) => p.exists(this.#lockKey(key)));
      if (poll.hit || poll.lead === 0 || Date.now() >= deadline || signal.aborted) return poll;
    }
  }

  /** One round trip: an optional leading command, then the entry and its tags' generations. */
  async #read(key: string, tags: readonly string[], lead?: (p: ChainableCommander) => void): Promise<Snapshot> {
    const pipeline = this.#redis.pipeline();
    lead?.(pipeline);
    pipeline.mgetBuffer(this.#entryKey(key), ...tags.map((tag) => this.#tagKey(tag)));
    const replies = unwrap(await pipeline.exec());
    const [entry, ...stored] = replies.at(-1) as (Buffer | null)[];
    const generations = stored.includes(null) ? await this.#initTags(tags, stored) : stored.map(String);
    const hit = entry ? decodeEntry(entry, stamp(tags, generations)) : undefined;
    return { lead: lead ? replies[0] : undefined, hit, generations };
  }

  async #initTags(tags: readonly string[], stored: readonly (Buffer | null)[]): Promise<string[]> {
    const missing = tags.filter((_, i) => stored[i] === null);
    const seeds = missing.map(() => String(randomInt(2 ** 47)));
    const values = (await this.#redis.eval(INIT_TAGS, missing.length, ...missing.map((tag) => this.#tagKey(tag)), ...seeds)) as unknown[];
    let next = 0;
    return stored.map((value) => String(value ?? values[next++]));
  }

  #release(pipeline: ChainableCommander, key: string, token: string): void {
    pipeline.eval(RELEASE_LOCK, 1, this.#lockKey(key), token);
  }

  /** Best effort: a failure is counted and reported, never thrown. */
  async #send(build: (p: ChainableCommander) => void): Promise<void> {
    try {
      const pipeline = this.#redis.pipeline();
      build(pipeline);
      if (pipeline.length > 0) unwrap(await pipeline.exec());
    } catch (error) {
      this.#failed(error);
    }
  }

  /**
   * Whether Redis may serve this instance now. Our own invalidations that
   * missed Redis go first, else we could read entries they should have killed.
   */
  async #ready(): Promise<boolean> {
    await this.#firstAttempt;
    if (!this.#up || this.#redis.status !== 'ready') return false;
    for (const tag of [...this.#pendingInvalidations]) {
      await this.#redis.incr(this.#tagKey(tag));
      this.#pendingInvalidations.delete(tag);
    }
    return true;
  }

  #failed(error: unknown): void {
    this.#errors++;
    this.#emit({ type: 'redis-error', error: error instanceof Error ? error : new Error(String(error)) });
  }

  #setUp(up: boolean): void {
    if (this.#closing || this.#up === up) return;
    this.#up = up;
    this.#emit(up ? { type: 'redis-up' } : { type: 'redis-down', error: this.#lastError });
  }

  #emit(event: CacheEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // A faulty listener must not turn a cache event into a failed request.
    }
  }

  #entryKey(key: string): string {
    return `${this.#prefix}r:${key}`;
  }

  #tagKey(tag: string): string {
    return `${this.#prefix}t:${tag}`;
  }

  #lockKey(key: string): string {
    return `${this.#prefix}l:${key}`;
  }
}

function logStateChange(event: CacheEvent): void {
  if (event.type === 'redis-down') console.warn(`[result-cache] redis is down, computing without cache: ${event.error?.message ?? ''}`);
  if (event.type === 'redis-up') console.warn('[result-cache] redis is up, caching');
}

function unwrap(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error('Redis returned no replies');
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** The tags and generations an entry was computed under; it is current only while they still match. */
function stamp(tags: readonly string[], generations: readonly string[]): string {
  return JSON.stringify(tags.map((tag, i) => [tag, generations[i]]));
}

function encodeEntry(bytes: Uint8Array, storedAt: number, entryStamp: string): Buffer {
  const stampBytes = Buffer.from(entryStamp);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(FORMAT, 0);
  header.writeDoubleBE(storedAt, 1);
  header.writeUInt32BE(stampBytes.byteLength, 9);
  return Buffer.concat([header, stampBytes, bytes]);
}

function decodeEntry(entry: Buffer, expectedStamp: string): CachedResult | undefined {
  if (entry.byteLength < HEADER_BYTES || entry.readUInt8(0) !== FORMAT) return undefined;
  const stampEnd = HEADER_BYTES + entry.readUInt32BE(9);
  if (entry.toString('utf8', HEADER_BYTES, stampEnd) !== expectedStamp) return undefined;
  // Clocks of instances differ a little; an age is never negative.
  const ageMs = Math.max(0, Date.now() - entry.readDoubleBE(1));
  return { bytes: entry.subarray(stampEnd), fromCache: true, ageMs };
}
