/**
 * Optimistic concurrency for the resources the admin API edits. Each row has
 * an integer `version` (1 at creation). A write first claims the next
 * version with one UPDATE that also checks the version the writer read:
 *
 *   update <table> set version = version + 1 where org_id = ? and id = ? and version = ?
 *
 * Of two writers that read the same version, the second one's UPDATE waits
 * for the first one's row lock, then finds the version moved on and matches
 * nothing, so it gets ERR_VERSION_CONFLICT (412) with the current version
 * instead of silently overwriting. The claim runs in the transaction of the
 * write it guards and holds the row lock until that write commits.
 */
import type { Kysely, Transaction } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import type { StoreSchema } from './store-schema.ts';

/** Tables whose rows carry a `version` every write increments. */
export type VersionedTable = 'stories' | 'datasets' | 'connections' | 'saved_queries' | 'roles' | 'collections' | 'embed_keys';

/** The version a write must find (from If-Match); undefined when the writer accepts any. */
export type ExpectedVersion = number | undefined;

/** A version no row ever has: an If-Match naming none of ours never matches. */
export const NO_VERSION = 0;

type Db = Kysely<StoreSchema> | Transaction<StoreSchema>;

/** The strong ETag of a version: `"3"`. */
export const etagOf = (version: number) => `"${version}"`;

export function versionConflict(currentVersion: number): InsightError {
  return new InsightError('ERR_VERSION_CONFLICT', 'The resource was changed since that version; read it again and reapply the change', { currentVersion });
}

/**
 * Increments the row's version where it has the expected one and returns the
 * new version; throws ERR_VERSION_CONFLICT with the current version, or
 * `notFound()` when the organisation has no such row.
 *
 * @example
 * await db.transaction().execute(async (tx) => {
 *   await claimVersion(tx, 'roles', { orgId, id }, expected, () => new InsightError('ERR_NOT_FOUND'));
 *   await tx.updateTable('roles').set({ name }).where('id', '=', id).execute();
 * });
 */
export async function claimVersion(db: Db, table: VersionedTable, key: { orgId: string; id: string }, expected: ExpectedVersion, notFound: () => InsightError): Promise<number> {
  // Every versioned table has org_id, id and version; kysely needs one concrete table to type the query.
  const t = table as 'datasets';
  let claim = db
    .updateTable(t)
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('org_id', '=', key.orgId)
    .where('id', '=', key.id);
  if (expected !== undefined) claim = claim.where('version', '=', expected);
  const claimed = await claim.returning('version').executeTakeFirst();
  if (claimed) return claimed.version;
  const current = await db.selectFrom(t).select('version').where('org_id', '=', key.orgId).where('id', '=', key.id).executeTakeFirst();
  throw current ? versionConflict(current.version) : notFound();
}

/**
 * Runs a write in a transaction after claiming the row's next version, so the
 * write happens only over the expected version and under the row lock.
 *
 * @example
 * const row = await writeVersioned(db, 'saved_queries', { orgId, id }, expected, notFound, (tx) =>
 *   tx.updateTable('saved_queries').set(values).where('id', '=', id).returningAll().executeTakeFirstOrThrow());
 */
export function writeVersioned<T>(
  db: Kysely<StoreSchema>,
  table: VersionedTable,
  key: { orgId: string; id: string },
  expected: ExpectedVersion,
  notFound: () => InsightError,
  write: (tx: Transaction<StoreSchema>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await claimVersion(tx, table, key, expected, notFound);
    return write(tx);
  });
}
