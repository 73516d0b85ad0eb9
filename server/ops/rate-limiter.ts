/**
 * Fixed-window request counting: in process by default, shared by every
 * instance through Redis when REDIS_URL is set. The Redis window is one
 * atomic script (INCR, PEXPIRE on the first hit, PTTL), so concurrent
 * requests on several instances never lose a count or leave a key without
 * expiry. When Redis fails the limiter fails open: the request passes, and
 * the outage is reported once, not once per request.
 */
import type { Redis } from 'ioredis';

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window. */
  remaining: number;
  /** Until the window resets. */
  resetMs: number;
}

export interface RateLimiter {
  /** Counts one request for key; `limit` requests pass per window. */
  hit(key: string, limit: number): Promise<RateLimitResult>;
  readonly kind: 'memory' | 'redis';
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  windowMs: number;
  /** Shares the counts across instances; without it they live in this process. */
  redis?: Redis;
  /** Redis key prefix (default 'insight:rl:'). */
  keyPrefix?: string;
  /** Called once when Redis stops answering, and once when it answers again. */
  onRedisState?: (state: 'down' | 'up', error?: unknown) => void;
  now?: () => number;
}

const WINDOW_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

/** Keys kept in process before expired windows are swept. */
const SWEEP_AT = 10_000;

function decide(count: number, limit: number, resetMs: number): RateLimitResult {
  return { allowed: count <= limit, limit, remaining: Math.max(limit - count, 0), resetMs: Math.max(resetMs, 0) };
}

/**
 * @example
 * const limiter = createRateLimiter({ windowMs: 60_000, redis });
 * const { allowed, resetMs } = await limiter.hit(`admin:${keyHash}`, 600);
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { windowMs } = options;
  const now = options.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function hitMemory(key: string, limit: number): RateLimitResult {
    const at = now();
    if (windows.size >= SWEEP_AT) {
      for (const [k, w] of windows) if (w.resetAt <= at) windows.delete(k);
    }
    let window = windows.get(key);
    if (!window || window.resetAt <= at) {
      window = { count: 0, resetAt: at + windowMs };
      windows.set(key, window);
    }
    window.count++;
    return decide(window.count, limit, window.resetAt - at);
  }

  const redis = options.redis;
  if (!redis) {
    return { kind: 'memory', hit: async (key, limit) => hitMemory(key, limit), close: async () => windows.clear() };
  }

  const prefix = options.keyPrefix ?? 'insight:rl:';
  let down = false;
  const report = (state: 'down' | 'up', error?: unknown) => {
    if ((state === 'down') === down) return;
    down = state === 'down';
    try {
      options.onRedisState?.(state, error);
    } catch {
      // A faulty listener must not fail the request.
    }
  };

  return {
    kind: 'redis',
    async hit(key, limit) {
      try {
        if (redis.status !== 'ready') throw new Error(`Redis is ${redis.status}`);
        const [count, ttl] = (await redis.eval(WINDOW_SCRIPT, 1, prefix + key, String(windowMs))) as [number, number];
        report('up');
        return decide(Number(count), limit, Number(ttl));
      } catch (error) {
        // Fail open: an outage of Redis must not become an outage of the API.
        report('down', error);
        return { allowed: true, limit, remaining: limit, resetMs: windowMs };
      }
    },
    async close() {
      windows.clear();
    },
  };
}
