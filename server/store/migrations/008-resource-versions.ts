/**
 * A version on every resource the admin API edits, for optimistic
 * concurrency: it starts at 1 and each successful write increments it in the
 * same UPDATE that checks the version the writer read (If-Match). Datasets
 * have had one since 001. A story's version also covers its draft's pages,
 * cards and filters, which every edit rewrites as a whole.
 */
import type { Kysely } from 'kysely';

const TABLES = ['stories', 'connections', 'saved_queries', 'roles', 'collections', 'embed_keys'] as const;

export async function up(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) {
    await db.schema.alterTable(table).addColumn('version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of TABLES) await db.schema.alterTable(table).dropColumn('version').execute();
}
