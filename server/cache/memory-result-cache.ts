import type { CachedResult, ResultCache, ResultCacheStats } from './result-cache.ts';
import { SingleFlight } from './single-flight.ts';

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

interface Entry {
  bytes: Uint8Array;
  storedAt: number;
  expiresAt: number;
  /** The generation of each of the entry's tags when its computation began. */
  generations: ReadonlyArray<readonly [tag: string, generation: number]>;
}

/**
 * The cache of one process: an LRU bounded by total bytes, with TTL.
 * Invalidating a tag bumps its generation, so entries stored under an older
 * generation read as missing without any scan; LRU and TTL reclaim them.
 */
export class MemoryResultCache implements ResultCache {
  /** Map order is recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  readonly #generations = new Map<string, number>();
  readonly #flights = new SingleFlight<CachedResult>();
  readonly #maxBytes: number;
  readonly #maxEntryBytes: number;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  constructor(options: { maxBytes?: number } = {}) {
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    // One huge result must not wipe out everybody else's entries.
    this.#maxEntryBytes = Math.floor(this.#maxBytes / 4);
  }

  async getOrCompute(
    key: string,
    options: { ttlSeconds: number; tags: readonly string[]; signal?: AbortSignal | undefined },
    compute: (signal: AbortSignal) => Promise<Uint8Array>,
  ): Promise<CachedResult> {
    const entry = this.#lookup(key);
    if (entry) {
      this.#hits++;
      return { bytes: entry.bytes, fromCache: true, ageMs: Date.now() - entry.storedAt };
    }
    this.#misses++;
    const result = await this.#flights.run(
      key,
      options.tags,
      async (signal) => {
        // Taken before computing: an invalidation during the query must win over its result.
        const generations = options.tags.map((tag) => [tag, this.#generation(tag)] as const);
        const bytes = await compute(signal);
        this.#store(key, { bytes, storedAt: Date.now(), expiresAt: Date.now() + options.ttlSeconds * 1000, generations });
        return { bytes, fromCache: false, ageMs: 0 };
      },
      options.signal,
    );
    return { ...result };
  }

  async invalidateTag(tag: string): Promise<void> {
    this.#generations.set(tag, this.#generation(tag) + 1);
    this.#flights.forgetTag(tag);
  }

  stats(): ResultCacheStats {
    return { hits: this.#hits, misses: this.#misses, errors: 0, waiting: this.#flights.waiting(), bytes: this.#bytes, entries: this.#entries.size };
  }

  async close(): Promise<void> {
    this.#entries.clear();
    this.#bytes = 0;
  }

  #generation(tag: string): number {
    return this.#generations.get(tag) ?? 0;
  }

  #current(entry: Entry): boolean {
    return entry.expiresAt > Date.now() && entry.generations.every(([tag, generation]) => this.#generation(tag) === generation);
  }

  #lookup(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#delete(key);
    if (!this.#current(entry)) return undefined;
    this.#entries.set(key, entry); // now the most recently used
    this.#bytes += entry.bytes.byteLength;
    return entry;
  }

  #store(key: string, entry: Entry): void {
    const size = entry.bytes.byteLength;
    if (size > this.#maxEntryBytes || !this.#current(entry)) return;
    // A small view into a large buffer (Node's Buffer pool) would pin the whole buffer uncounted.
    const bytes = size === entry.bytes.buffer.byteLength ? entry.bytes : new Uint8Array(entry.bytes);
    this.#delete(key);
    this.#entries.set(key, { ...entry, bytes });
    this.#bytes += size;
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#delete(oldest);
    }
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes.byteLength;
  }
}
