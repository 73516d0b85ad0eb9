import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { REDIS_URL, serviceAvailable } from '../testing/services.ts';
import { freePort, startTcpProxy, type TcpProxy } from '../testing/tcp-proxy.ts';
import { gate, until } from '../testing/wait.ts';
import { RedisResultCache } from './redis-result-cache.ts';
import { createResultCache, resultCacheKey, type CacheEvent, type ResultCache } from './result-cache.ts';

const available = await serviceAvailable('redis');

const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const slowly = (text: string, ms = 100) => async () => {
  await sleep(ms);
  return bytesOf(text);
};
const hour = { ttlSeconds: 3600, tags: [] };

describe.skipIf(!available)('RedisResultCache', () => {
  const prefix = `test:${process.pid}:${randomUUID().slice(0, 8)}:`;
  const opened: ResultCache[] = [];
  let admin: Redis;
  // Each cache logs its own events: a cache from an earlier test that reconnects to a reused port must not
  // write into a later test's log.
  const eventsOf = new WeakMap<ResultCache, CacheEvent[]>();

  const open = (options: { redisUrl?: string; lockTtlMs?: number } = {}) => {
    const events: CacheEvent[] = [];
    const cache = createResultCache({ redisUrl: REDIS_URL, keyPrefix: prefix, onEvent: (e) => events.push(e), ...options });
    eventsOf.set(cache, events);
    opened.push(cache);
    return cache;
  };
  let n = 0;
  const freshKey = () => resultCacheKey({ connectionId: 'conn', sql: `select ${++n}`, params: [randomUUID()] });

  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    await Promise.all(opened.map((cache) => cache.close()));
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  });

  it('is what createResultCache returns with a redisUrl', () => {
    expect(open()).toBeInstanceOf(RedisResultCache);
  });

  it('stores the bytes under the prefix with a ttl, then serves a hit with its age', async () => {
    const cache = open();
    const key = freshKey();
    const compute = vi.fn(async () => bytesOf('rows'));

    expect(await cache.getOrCompute(key, { ttlSeconds: 60, tags: ['dataset:a'] }, compute)).toEqual({
      bytes: bytesOf('rows'),
      fromCache: false,
      ageMs: 0,
    });
    const pttl = await admin.pttl(`${prefix}r:${key}`);
    expect(pttl).toBeGreaterThan(55_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    await sleep(30);
    const hit = await cache.getOrCompute(key, { ttlSeconds: 60, tags: ['dataset:a'] }, compute);

    expect(hit.fromCache).toBe(true);
    expect(textOf(hit.bytes)).toBe('rows');
    expect(hit.ageMs).toBeGreaterThanOrEqual(25);
    expect(compute).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, errors: 0, waiting: 0 });
  });

  it('misses again after the ttl', async () => {
    const cache = open();
    const key = freshKey();
    const compute = vi.fn(async () => bytesOf('rows'));
    const options = { ttlSeconds: 60, tags: [] };

    await cache.getOrCompute(key, options, compute);
    expect((await cache.getOrCompute(key, options, compute)).fromCache).toBe(true);
    // The entry's life is Redis's PX (asserted above); ending it there stands for the minute passing,
    // without a real ttl that a slow machine could outlive between the two calls above.
    await admin.pexpire(`${prefix}r:${key}`, 1);
    await until(async () => (await admin.exists(`${prefix}r:${key}`)) === 0);
    expect((await cache.getOrCompute(key, options, compute)).fromCache).toBe(false);
    expect(compute).toHaveBeenCalledTimes(2);
  });

  it('keeps tenants apart: different bound parameters are different entries', async () => {
    const cache = open();
    const sql = `select * from orders where tenant_id = $1 -- ${randomUUID()}`;
    const keyOf = (tenant: unknown) => resultCacheKey({ connectionId: 'conn', sql, params: [tenant] });

    await cache.getOrCompute(keyOf(1), hour, async () => bytesOf('tenant 1'));
    const other = await cache.getOrCompute(keyOf(2), hour, async () => bytesOf('tenant 2'));
    const asString = await cache.getOrCompute(keyOf('1'), hour, async () => bytesOf('string 1'));
    const again = await cache.getOrCompute(keyOf(1), hour, async () => bytesOf('unexpected'));

    expect([other.fromCache, textOf(other.bytes)]).toEqual([false, 'tenant 2']);
    expect([asString.fromCache, textOf(asString.bytes)]).toEqual([false, 'string 1']);
    expect([again.fromCache, textOf(again.bytes)]).toEqual([true, 'tenant 1']);
  });

  it('runs compute once for 100 concurrent identical misses in one process', async () => {
    const cache = open();
    const key = freshKey();
    const compute = vi.fn(slowly('once'));

    const results = await Promise.all(Array.from({ length: 100 }, () => cache.getOrCompute(key, hour, compute)));

    expect(compute).toHaveBeenCalledTimes(1);
    expect(results.every((r) => textOf(r.bytes) === 'once' && !r.fromCache)).toBe(true);
    expect(await admin.exists(`${prefix}l:${key}`)).toBe(0);
  });

  it('runs compute once across two instances with 50 concurrent calls each', async () => {
    const [a, b] = [open(), open()];
    const key = freshKey();
    const compute = vi.fn(slowly('shared', 200));

    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a : b).getOrCompute(key, hour, compute)),
    );

    expect(compute).toHaveBeenCalledTimes(1);
    expect(results.every((r) => textOf(r.bytes) === 'shared')).toBe(true);
    // The winner's callers computed, the other instance's found the entry.
    expect(results.filter((r) => r.fromCache)).toHaveLength(50);

    const next = freshKey();
    await a.getOrCompute(next, hour, async () => bytesOf('from a'));
    const onB = await b.getOrCompute(next, hour, async () => bytesOf('unexpected'));
    expect([onB.fromCache, textOf(onB.bytes)]).toEqual([true, 'from a']);
  });

  it('propagates a failing compute to every waiter, stores nothing and releases the lock', async () => {
    const [a, b] = [open(), open()];
    const key = freshKey();
    const failing = vi.fn(async () => {
      await sleep(50);
      throw new Error('warehouse down');
    });

    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => a.getOrCompute(key, hour, failing)));

    expect(failing).toHaveBeenCalledTimes(1);
    expect(outcomes.every((o) => o.status === 'rejected' && (o.reason as Error).message === 'warehouse down')).toBe(true);
    // The lock release is not awaited by the failing call.
    await until(async () => (await admin.exists(`${prefix}l:${key}`)) === 0);
    expect(await admin.exists(`${prefix}r:${key}`)).toBe(0);
    expect((await b.getOrCompute(key, hour, async () => bytesOf('ok'))).fromCache).toBe(false);
    expect(a.stats().errors).toBe(0);
  });

  it('takes over when the lock holder dies: the lock expires and a waiter computes', async () => {
    const cache = open();
    const key = freshKey();
    const lockKey = `${prefix}l:${key}`;
    await admin.set(lockKey, 'a crashed instance', 'PX', 60_000);
    let lockWhileComputing: string | null = null;
    const compute = vi.fn(async () => {
      lockWhileComputing = await admin.get(lockKey);
      return bytesOf('taken over');
    });

    const pending = cache.getOrCompute(key, hour, compute);
    await sleep(100);
    expect(compute).not.toHaveBeenCalled(); // the dead holder's lock still stands
    await admin.pexpire(lockKey, 1); // now it expires
    const result = await pending;

    expect([result.fromCache, textOf(result.bytes)]).toEqual([false, 'taken over']);
    // The waiter took the lock over (instead of waiting out lockTtlMs and computing without it).
    expect(lockWhileComputing).toMatch(/^[0-9a-f-]{36}$/);
    expect((await cache.getOrCompute(key, hour, compute)).fromCache).toBe(true);
    expect(compute).toHaveBeenCalledTimes(1);
  });

  it('stops waiting after lockTtlMs and computes (and stores) itself', async () => {
    const cache = open({ lockTtlMs: 300 });
    const key = freshKey();
    const lockKey = `${prefix}l:${key}`;
    await admin.set(lockKey, 'a stuck instance', 'PX', 60_000);
    let lockWhileComputing: string | null = null;

    const result = await cache.getOrCompute(key, hour, async () => {
      lockWhileComputing = await admin.get(lockKey);
      return bytesOf('impatient');
    });

    expect(result.fromCache).toBe(false);
    // It computed while the stuck lock still stood: it gave up waiting, nobody released it.
    expect(lockWhileComputing).toBe('a stuck instance');
    await admin.del(lockKey);
    expect((await cache.getOrCompute(key, hour, async () => bytesOf('unexpected'))).fromCache).toBe(true);
  });

  it('lets a waiting instance compute when the winner fails', async () => {
    const [a, b] = [open(), open()];
    const key = freshKey();
    const winner = gate();
    const failing = expect(
      a.getOrCompute(key, hour, async () => {
        await winner.released;
        throw new Error('warehouse down');
      }),
    ).rejects.toThrow('warehouse down');
    await until(async () => (await admin.exists(`${prefix}l:${key}`)) === 1); // a holds the lock

    const waiting = b.getOrCompute(key, hour, async () => bytesOf('b computed'));
    winner.release();
    const onB = await waiting;

    await failing;
    expect([onB.fromCache, textOf(onB.bytes)]).toEqual([false, 'b computed']);
  });

  it('invalidates a tag across instances, leaving other tags alone', async () => {
    const [a, b] = [open(), open()];
    const dataset = `dataset:${randomUUID()}`;
    const [k1, k2] = [freshKey(), freshKey()];
    const tagged = { ttlSeconds: 3600, tags: [dataset, 'connection:x'] };
    const untagged = { ttlSeconds: 3600, tags: ['connection:x'] };
    await a.getOrCompute(k1, tagged, async () => bytesOf('v1'));
    await a.getOrCompute(k2, untagged, async () => bytesOf('other'));
    expect((await b.getOrCompute(k1, tagged, async () => bytesOf('unexpected'))).fromCache).toBe(true);

    await a.invalidateTag(dataset);

    const afterB = await b.getOrCompute(k1, tagged, async () => bytesOf('v2'));
    expect([afterB.fromCache, textOf(afterB.bytes)]).toEqual([false, 'v2']);
    const afterA = await a.getOrCompute(k1, tagged, async () => bytesOf('unexpected'));
    expect([afterA.fromCache, textOf(afterA.bytes)]).toEqual([true, 'v2']);
    expect((await b.getOrCompute(k2, untagged, async () => bytesOf('unexpected'))).fromCache).toBe(true);
  });

  it('does not store a result whose computation began before an invalidation elsewhere', async () => {
    const [a, b] = [open(), open()];
    const dataset = `dataset:${randomUUID()}`;
    const key = freshKey();
    const options = { ttlSeconds: 3600, tags: [dataset] };
    const [started, computing] = [gate(), gate()];
    const old = a.getOrCompute(key, options, async () => {
      started.release(); // the tag generations were read before compute runs
      await computing.released;
      return bytesOf('old');
    });
    await started.released;
    await b.invalidateTag(dataset);
    computing.release();
    await old;

    const next = await b.getOrCompute(key, options, async () => bytesOf('new'));
    expect([next.fromCache, textOf(next.bytes)]).toEqual([false, 'new']);
  });

  it('treats a lost tag counter as an invalidation, never as a reset', async () => {
    const cache = open();
    const dataset = `dataset:${randomUUID()}`;
    const key = freshKey();
    const options = { ttlSeconds: 3600, tags: [dataset] };
    await cache.getOrCompute(key, options, async () => bytesOf('v1'));

    await admin.del(`${prefix}t:${dataset}`); // as if Redis had evicted it

    expect((await cache.getOrCompute(key, options, async () => bytesOf('v2'))).fromCache).toBe(false);
  });

  it('computes quickly without caching when Redis is unreachable', async () => {
    const port = await freePort();
    const cache = open({ redisUrl: `redis://127.0.0.1:${port}` });
    const events = eventsOf.get(cache)!;
    const compute = vi.fn(async () => bytesOf('computed'));

    const first = await cache.getOrCompute(freshKey(), hour, compute);
    const key = freshKey();
    await cache.getOrCompute(key, hour, compute);
    const second = await cache.getOrCompute(key, hour, compute);
    await cache.invalidateTag('dataset:a');

    expect([first.fromCache, textOf(first.bytes), second.fromCache]).toEqual([false, 'computed', false]);
    expect(compute).toHaveBeenCalledTimes(3);
    expect(cache.stats().errors).toBeGreaterThanOrEqual(3);
    await sleep(300); // a few reconnect attempts fail meanwhile; they must not repeat the event
    // Only 'redis-down': no call tried a command (that would add 'redis-error'), so none waited on Redis.
    expect(events.map((e) => e.type)).toEqual(['redis-down']);
  });

  it('keeps serving through an outage and resumes caching when Redis comes back', async () => {
    const proxy = await startProxy(0);
    const cache = open({ redisUrl: `redis://127.0.0.1:${proxy.port}` });
    const events = eventsOf.get(cache)!;
    const key = freshKey();
    const compute = vi.fn(async () => bytesOf('rows'));
    await cache.getOrCompute(key, hour, compute);
    expect((await cache.getOrCompute(key, hour, compute)).fromCache).toBe(true);

    await proxy.stop();
    await until(() => events.some((e) => e.type === 'redis-down'));
    const eventsBefore = events.length;
    const during = await cache.getOrCompute(key, hour, compute);
    expect(during.fromCache).toBe(false);
    // Computed without trying Redis (a failed command would add 'redis-error'), so it never waits on it.
    expect(events.slice(eventsBefore)).toEqual([]);

    const restarted = await startProxy(proxy.port);
    try {
      await until(async () => (await cache.getOrCompute(key, hour, compute)).fromCache);
    } finally {
      await restarted.stop();
    }
    expect(events.map((e) => e.type).filter((t) => t !== 'redis-error')).toEqual(['redis-up', 'redis-down', 'redis-up']);
  });
});

/** A TCP proxy to the test Redis: stopping it is an outage for its clients only. */
function startProxy(port: number): Promise<TcpProxy> {
  const target = new URL(REDIS_URL);
  return startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) }, port);
}
