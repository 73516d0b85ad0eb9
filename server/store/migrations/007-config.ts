/**
 * Per-organisation settings (`GET/PUT /api/config`): result cache lifetime,
 * row cap, statement timeout and AI settings, as one validated JSON document
 * per organisation. Never a secret: the AI API key stays in the environment.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('org_settings')
    .addColumn('org_id', 'text', (c) => c.primaryKey().references('organisations.id').onDelete('cascade'))
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('org_settings').ifExists().execute();
}
