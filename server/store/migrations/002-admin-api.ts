/**
 * The admin API (issue 3): introspected connection schemas kept in the store,
 * so the builder does not hit a customer database on every page view, and
 * the history of every query that ran through the query engine.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('connection_schemas')
    .addColumn('connection_id', 'text', (c) => c.primaryKey().references('connections.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('schema', 'jsonb', (c) => c.notNull())
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  // No foreign key to connections: the history outlives a deleted connection.
  await db.schema
    .createTable('query_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    .addColumn('actor', 'text')
    .addColumn('actor_type', 'text')
    .addColumn('dataset_name', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('row_count', 'integer')
    .addColumn('from_cache', 'boolean', (c) => c.notNull())
    .addColumn('runs', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  // Newest-first keyset paging per organisation.
  await db.schema.createIndex('query_history_org_created').on('query_history').columns(['org_id', 'created_at desc', 'id desc']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('query_history').ifExists().execute();
  await db.schema.dropTable('connection_schemas').ifExists().execute();
}
