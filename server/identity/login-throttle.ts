/**
 * Lockout after repeated failed logins, per email and client address: after
 * `maxFailures` failures within `windowMs` further attempts are refused for
 * `lockMs`, even with the right password. Kept in the platform store so all
 * instances share the count. A success clears it.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { StoreSchema } from '../store/store-schema.ts';

export interface LoginThrottleOptions {
  maxFailures?: number;
  windowMs?: number;
  lockMs?: number;
  now?: () => number;
}

export interface LoginThrottle {
  /** Seconds until the lock ends, or 0 when attempts are allowed. */
  lockedFor(email: string, ip: string): Promise<number>;
  /** Counts a failure; returns the seconds of a lock it started, or 0. */
  fail(email: string, ip: string): Promise<number>;
  succeed(email: string, ip: string): Promise<void>;
}

export const LOGIN_MAX_FAILURES = 5;
export const LOGIN_LOCK_MS = 15 * 60_000;

export function createLoginThrottle(db: Kysely<StoreSchema>, options: LoginThrottleOptions = {}): LoginThrottle {
  const maxFailures = options.maxFailures ?? LOGIN_MAX_FAILURES;
  const windowMs = options.windowMs ?? LOGIN_LOCK_MS;
  const lockMs = options.lockMs ?? LOGIN_LOCK_MS;
  const now = options.now ?? Date.now;
  // Hashed: the table need not hold email addresses and client addresses in clear.
  const keyOf = (email: string, ip: string) => createHash('sha256').update(`${email}\n${ip}`).digest('hex');

  return {
    async lockedFor(email, ip) {
      const row = await db.selectFrom('login_attempts').select('locked_until').where('key', '=', keyOf(email, ip)).executeTakeFirst();
      const until = row?.locked_until?.getTime() ?? 0;
      return until > now() ? Math.ceil((until - now()) / 1000) : 0;
    },

    async fail(email, ip) {
      const key = keyOf(email, ip);
      const at = new Date(now());
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('login_attempts').selectAll().where('key', '=', key).forUpdate().executeTakeFirst();
        // A finished lock or an old first failure starts a fresh count.
        const fresh = !row || (row.locked_until !== null && row.locked_until <= at) || at.getTime() - row.first_failure_at.getTime() > windowMs;
        const failures = fresh ? 1 : row.failures + 1;
        const lockedUntil = failures >= maxFailures ? new Date(at.getTime() + lockMs) : null;
        await trx
          .insertInto('login_attempts')
          .values({ key, failures, first_failure_at: fresh ? at : row.first_failure_at, locked_until: lockedUntil })
          .onConflict((oc) => oc.column('key').doUpdateSet({ failures, first_failure_at: fresh ? at : row.first_failure_at, locked_until: lockedUntil }))
          .execute();
        return lockedUntil ? Math.ceil(lockMs / 1000) : 0;
      });
    },

    async succeed(email, ip) {
      await db.deleteFrom('login_attempts').where('key', '=', keyOf(email, ip)).execute();
    },
  };
}
