import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { gate } from '../testing/wait.ts';
import { MemoryResultCache } from './memory-result-cache.ts';
import { createResultCache } from './result-cache.ts';

const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const forever = { ttlSeconds: 3600, tags: [] };

describe('MemoryResultCache', () => {
  // Ages and ttls are read from Date.now(): a fake clock moves them, a busy machine cannot.
  afterEach(() => vi.useRealTimers());

  it('is what createResultCache returns without a redisUrl', () => {
    expect(createResultCache()).toBeInstanceOf(MemoryResultCache);
  });

  it('computes on a miss, then serves a hit with its age', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new MemoryResultCache();
    const compute = vi.fn(async () => bytesOf('rows'));

    const miss = await cache.getOrCompute('k', forever, compute);
    expect(miss).toEqual({ bytes: bytesOf('rows'), fromCache: false, ageMs: 0 });
    vi.advanceTimersByTime(30);
    const hit = await cache.getOrCompute('k', forever, compute);

    expect(hit.fromCache).toBe(true);
    expect(textOf(hit.bytes)).toBe('rows');
    expect(hit.ageMs).toBe(30);
    expect(compute).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, errors: 0, waiting: 0, bytes: 4, entries: 1 });
  });

  it('forgets an entry after its ttl, and stores nothing with ttl 0', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = new MemoryResultCache();
    const compute = vi.fn(async () => bytesOf('rows'));

    await cache.getOrCompute('k', { ttlSeconds: 0.05, tags: [] }, compute);
    vi.advanceTimersByTime(49);
    expect((await cache.getOrCompute('k', { ttlSeconds: 0.05, tags: [] }, compute)).fromCache).toBe(true);
    vi.advanceTimersByTime(1);
    expect((await cache.getOrCompute('k', { ttlSeconds: 0.05, tags: [] }, compute)).fromCache).toBe(false);

    await cache.getOrCompute('zero', { ttlSeconds: 0, tags: [] }, compute);
    expect((await cache.getOrCompute('zero', { ttlSeconds: 0, tags: [] }, compute)).fromCache).toBe(false);
    expect(compute).toHaveBeenCalledTimes(4);
  });

  it('evicts the least recently used entries to stay within maxBytes', async () => {
    const cache = new MemoryResultCache({ maxBytes: 1000 });
    const fill = (key: string) => cache.getOrCompute(key, forever, async () => new Uint8Array(250));
    for (const key of ['a', 'b', 'c', 'd']) await fill(key);
    expect(cache.stats()).toMatchObject({ bytes: 1000, entries: 4 });

    await fill('a'); // a hit: a becomes the most recently used, b the least
    await fill('e');

    expect(cache.stats()).toMatchObject({ bytes: 1000, entries: 4 });
    expect((await fill('a')).fromCache).toBe(true);
    expect((await fill('e')).fromCache).toBe(true);
    expect((await fill('b')).fromCache).toBe(false);
  });

  it('does not store a result larger than a quarter of maxBytes', async () => {
    const cache = new MemoryResultCache({ maxBytes: 1000 });
    const big = await cache.getOrCompute('big', forever, async () => new Uint8Array(251));

    expect(big.bytes.byteLength).toBe(251);
    expect(cache.stats()).toMatchObject({ bytes: 0, entries: 0 });
  });

  it('counts the bytes an entry holds, not the buffer it was a view of', async () => {
    const cache = new MemoryResultCache();
    const shared = new Uint8Array(4096);
    await cache.getOrCompute('view', forever, async () => shared.subarray(0, 10));

    const hit = await cache.getOrCompute('view', forever, async () => new Uint8Array());
    expect(hit.bytes.buffer.byteLength).toBe(10);
    expect(cache.stats().bytes).toBe(10);
  });

  it('runs compute once for 100 concurrent identical misses', async () => {
    const cache = new MemoryResultCache();
    const compute = vi.fn(async () => {
      await sleep(50);
      return bytesOf('once');
    });

    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrCompute('k', forever, compute)));

    expect(compute).toHaveBeenCalledTimes(1);
    expect(results.every((r) => textOf(r.bytes) === 'once' && !r.fromCache)).toBe(true);
    expect((await cache.getOrCompute('k', forever, compute)).fromCache).toBe(true);
  });

  it('rejects every waiter of a failing compute and stores nothing', async () => {
    const cache = new MemoryResultCache();
    const failing = vi.fn(async () => {
      await sleep(20);
      throw new Error('warehouse down');
    });

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cache.getOrCompute('k', forever, failing)));

    expect(failing).toHaveBeenCalledTimes(1);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'warehouse down')).toBe(true);
    expect(cache.stats().entries).toBe(0);
    expect((await cache.getOrCompute('k', forever, async () => bytesOf('ok'))).fromCache).toBe(false);
  });

  it('treats entries under an invalidated tag as missing, and leaves other tags alone', async () => {
    const cache = new MemoryResultCache();
    const a = { ttlSeconds: 3600, tags: ['dataset:a', 'connection:x'] };
    const b = { ttlSeconds: 3600, tags: ['dataset:b', 'connection:x'] };
    await cache.getOrCompute('ka', a, async () => bytesOf('a1'));
    await cache.getOrCompute('kb', b, async () => bytesOf('b1'));

    await cache.invalidateTag('dataset:a');

    const ka = await cache.getOrCompute('ka', a, async () => bytesOf('a2'));
    expect([ka.fromCache, textOf(ka.bytes)]).toEqual([false, 'a2']);
    expect((await cache.getOrCompute('kb', b, async () => bytesOf('b2'))).fromCache).toBe(true);
    expect((await cache.getOrCompute('ka', a, async () => bytesOf('a3'))).fromCache).toBe(true);

    await cache.invalidateTag('connection:x');
    expect((await cache.getOrCompute('ka', a, async () => bytesOf('a4'))).fromCache).toBe(false);
    expect((await cache.getOrCompute('kb', b, async () => bytesOf('b4'))).fromCache).toBe(false);
  });

  it('does not keep or share a result whose computation began before an invalidation', async () => {
    const cache = new MemoryResultCache();
    const options = { ttlSeconds: 3600, tags: ['dataset:a'] };
    const [started, computing] = [gate(), gate()];
    const old = cache.getOrCompute('k', options, async () => {
      started.release();
      await computing.released;
      return bytesOf('old');
    });
    await started.released;
    await cache.invalidateTag('dataset:a');
    // Arrives while the old computation still runs: must not join it.
    const fresh = await cache.getOrCompute('k', options, async () => bytesOf('new'));
    expect(textOf(fresh.bytes)).toBe('new');
    computing.release();
    expect(textOf((await old).bytes)).toBe('old');

    const later = await cache.getOrCompute('k', options, async () => bytesOf('unexpected'));
    expect([later.fromCache, textOf(later.bytes)]).toEqual([true, 'new']);
  });
});
