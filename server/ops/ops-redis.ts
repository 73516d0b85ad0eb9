/**
 * The Redis connection of the operations layer (rate limits, readiness).
 * Fails fast like the result cache's: a limiter that waits on a dead Redis
 * would turn an outage of Redis into an outage of the API.
 */
import { randomInt } from 'node:crypto';
import { Redis } from 'ioredis';

export function openOpsRedis(url: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1_000) + randomInt(100),
  });
  // Without a listener ioredis reports every failed reconnect as unhandled; callers see failed commands instead.
  redis.on('error', () => {});
  return redis;
}

/** True when Redis answers a PING now. */
export async function redisAnswers(redis: Redis): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}
