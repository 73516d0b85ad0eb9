/**
 * The operations layer as one unit the services own: metrics, the rate
 * limiter (and its Redis), and the lifecycle that drains for shutdown.
 */
import type { Redis } from 'ioredis';
import type { InsightConfig } from '../config.ts';
import { createLifecycle, type Lifecycle } from './lifecycle.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { openOpsRedis } from './ops-redis.ts';
import { createRateLimiter, type RateLimiter } from './rate-limiter.ts';

export interface Ops {
  metrics: Metrics;
  limiter: RateLimiter;
  /** Present when REDIS_URL is set: shared rate limits, and a readiness check. */
  redis: Redis | undefined;
  lifecycle: Lifecycle;
  close(): Promise<void>;
}

export function createOps(config: Pick<InsightConfig, 'redisUrl' | 'rateLimit'>, options: { log?: (message: string) => void } = {}): Ops {
  const log = options.log ?? (() => {});
  const metrics = createMetrics();
  const redis = config.redisUrl ? openOpsRedis(config.redisUrl) : undefined;
  const limiter = createRateLimiter({
    windowMs: config.rateLimit.windowMs,
    ...(redis ? { redis } : {}),
    onRedisState: (state) =>
      log(state === 'down' ? 'rate limiter: Redis is unreachable; requests pass unlimited until it returns' : 'rate limiter: Redis is reachable; limits apply again'),
  });
  return {
    metrics,
    limiter,
    redis,
    lifecycle: createLifecycle(),
    async close() {
      metrics.close();
      await limiter.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
