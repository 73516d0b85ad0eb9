/**
 * Saved queries: a named structured query or SQL over datasets that an
 * organisation keeps and runs again. The kind decides which columns are set;
 * a check constraint keeps a row from being half of each.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('saved_queries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    // A structured query names its dataset; a deleted dataset makes it fail with ERR_DATASET_NOT_FOUND at run.
    .addColumn('query', 'jsonb')
    // SQL reads the datasets of one connection and goes with it, as those datasets do.
    .addColumn('connection_id', 'text', (c) => c.references('connections.id').onDelete('cascade'))
    .addColumn('sql', 'text')
    .addColumn('cache_ttl_seconds', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    // Also the index behind listing by name within an organisation.
    .addUniqueConstraint('saved_queries_org_name', ['org_id', 'name'])
    .addCheckConstraint(
      'saved_queries_kind',
      sql`(kind = 'structured' and query is not null and connection_id is null and sql is null)
       or (kind = 'sql' and query is null and connection_id is not null and sql is not null)`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('saved_queries').ifExists().execute();
}
