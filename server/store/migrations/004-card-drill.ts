/**
 * Drill-down: a card names the page a click on one of its marks opens, and
 * which story filters the clicked datum sets.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cards').addColumn('drill', 'jsonb').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cards').dropColumn('drill').execute();
}
