/**
 * Story authoring (issue 4): collections, a published snapshot per story
 * version, and shares. The pages, cards and filters tables stay the working
 * draft that authors edit; viewers read only `story_versions`, so an edit
 * reaches them when the story is published again.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('collections')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id').onDelete('cascade'))
    // Deleting a collection that still holds collections or stories is refused by the API; restrict backs that up.
    .addColumn('parent_id', 'text', (c) => c.references('collections.id').onDelete('restrict'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('collections_org_parent').on('collections').columns(['org_id', 'parent_id']).execute();

  await db.schema
    .alterTable('stories')
    .addColumn('collection_id', 'text', (c) => c.references('collections.id').onDelete('set null'))
    .execute();
  await db.schema.alterTable('stories').addColumn('published_version', 'integer').execute();
  await db.schema.alterTable('stories').addColumn('published_at', 'timestamptz').execute();
  await db.schema.alterTable('stories').addColumn('published_by', 'text').execute();
  await db.schema.createIndex('stories_org_title').on('stories').columns(['org_id', 'title', 'id']).execute();

  await db.schema
    .createTable('story_versions')
    .addColumn('story_id', 'text', (c) => c.notNull().references('stories.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull())
    // The story definition as published, each page, card and filter carrying its id.
    .addColumn('definition', 'jsonb', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('published_by', 'text')
    .addPrimaryKeyConstraint('story_versions_pk', ['story_id', 'version'])
    .execute();

  await db.schema
    .createTable('story_shares')
    .addColumn('story_id', 'text', (c) => c.notNull().references('stories.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('granted_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('story_shares_pk', ['story_id', 'user_id'])
    .addCheckConstraint('story_shares_level', sql`level in ('view', 'edit', 'admin')`)
    .execute();

  // Stories published before versions existed become version 1 of themselves, as they are now.
  await sql`
    insert into story_versions (story_id, version, definition, published_at)
    select s.id, 1, jsonb_build_object(
      'id', s.id, 'slug', s.slug, 'title', s.title, 'description', s.description,
      'filters', coalesce((
        select jsonb_agg(jsonb_build_object('id', f.id, 'name', f.key, 'label', f.label, 'type', f.type, 'dataset', f.dataset_name,
          'column', f.column_name, 'default', f.default_value, 'options', f.options) order by f.position)
        from filters f where f.story_id = s.id), '[]'::jsonb),
      'pages', coalesce((
        select jsonb_agg(jsonb_build_object('id', p.id, 'key', p.key, 'title', p.title, 'narrative', p.narrative, 'layout', p.layout,
          'cards', coalesce((
            select jsonb_agg(jsonb_build_object('id', c.id, 'key', c.key, 'type', c.type, 'title', c.title, 'description', c.description,
              'query', c.query, 'visualization', c.visualization, 'options', c.options, 'drill', c.drill) order by c.position)
            from cards c where c.page_id = p.id), '[]'::jsonb)) order by p.position)
        from pages p where p.story_id = s.id), '[]'::jsonb)
    ), now()
    from stories s where s.status = 'published'
  `.execute(db);
  await sql`update stories set published_version = 1, published_at = now() where status = 'published'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('story_shares').ifExists().execute();
  await db.schema.dropTable('story_versions').ifExists().execute();
  await db.schema.dropIndex('stories_org_title').ifExists().execute();
  for (const column of ['published_by', 'published_at', 'published_version', 'collection_id']) {
    await db.schema.alterTable('stories').dropColumn(column).execute();
  }
  await db.schema.dropTable('collections').ifExists().execute();
}
