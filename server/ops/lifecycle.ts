/**
 * Readiness and draining. `/readyz` answers 503 while the server drains for
 * a shutdown (so a load balancer stops sending it traffic) and when the
 * platform store or the configured Redis does not answer.
 */
import { sql, type Kysely } from 'kysely';
import type { Redis } from 'ioredis';
import type { StoreSchema } from '../store/store-schema.ts';
import { redisAnswers } from './ops-redis.ts';

export interface Lifecycle {
  readonly draining: boolean;
  startDraining(): void;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
    },
  };
}

export type CheckState = 'ok' | 'down' | 'draining';

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckState>;
}

const CHECK_TIMEOUT_MS = 2_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(deps: { lifecycle: Lifecycle; db: Kysely<StoreSchema>; redis?: Redis | undefined }): Promise<Readiness> {
  const checks: Record<string, CheckState> = {};
  if (deps.lifecycle.draining) checks['server'] = 'draining';
  const [store, redis] = await Promise.all([
    within(sql`select 1`.execute(deps.db), CHECK_TIMEOUT_MS).then(
      () => 'ok' as const,
      () => 'down' as const,
    ),
    deps.redis ? within(redisAnswers(deps.redis), CHECK_TIMEOUT_MS).then((ok) => (ok ? 'ok' as const : 'down' as const), () => 'down' as const) : undefined,
  ]);
  checks['store'] = store;
  if (redis) checks['redis'] = redis;
  return { ready: Object.values(checks).every((state) => state === 'ok'), checks };
}
