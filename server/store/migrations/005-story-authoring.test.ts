import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createStoryRepository } from '../../stories/story-repository.ts';
import { openStore } from '../open-store.ts';
import { createPGliteDialect } from '../pglite-dialect.ts';
import * as initial from './001-initial.ts';
import * as adminApi from './002-admin-api.ts';
import * as savedQueries from './003-saved-queries.ts';
import * as cardDrill from './004-card-drill.ts';

describe('005-story-authoring on a store with stories', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'insight-005-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes every published story version 1 of itself, so viewers keep seeing it, and leaves drafts hidden', async () => {
    // The store as the previous release left it.
    const lite = await PGlite.create(path.join(dir, 'store'));
    const before = new Kysely<any>({ dialect: createPGliteDialect(lite) });
    const migrator = new Migrator({
      db: before,
      provider: { getMigrations: async () => ({ '001-initial': initial, '002-admin-api': adminApi, '003-saved-queries': savedQueries, '004-card-drill': cardDrill }) },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    await before.insertInto('organisations').values({ id: 'org_a', name: 'A', slug: 'a' }).execute();
    await before
      .insertInto('stories')
      .values([
        { id: 's_live', org_id: 'org_a', slug: 'live', title: 'Live', description: null, status: 'published' },
        { id: 's_draft', org_id: 'org_a', slug: 'draft', title: 'Draft', description: 'Not yet', status: 'draft' },
      ])
      .execute();
    await before
      .insertInto('pages')
      .values([
        { id: 'p_2', story_id: 's_live', key: 'second', position: 1, title: 'Second', narrative: 'More', layout: 'single' },
        { id: 'p_1', story_id: 's_live', key: 'first', position: 0, title: 'First', narrative: null, layout: 'grid' },
        { id: 'p_d', story_id: 's_draft', key: 'only', position: 0, title: 'Only', narrative: null, layout: 'grid' },
      ])
      .execute();
    await before
      .insertInto('cards')
      .values([
        { id: 'c_b', story_id: 's_live', page_id: 'p_1', key: 'b', position: 1, type: 'text', title: 'B', description: null, query: null, visualization: null, options: JSON.stringify({ markdown: 'hi' }), drill: null },
        {
          id: 'c_a', story_id: 's_live', page_id: 'p_1', key: 'a', position: 0, type: 'chart', title: 'A', description: 'Per region',
          query: JSON.stringify({ dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'count' }], filters: [], sort: [] }),
          visualization: JSON.stringify({ chartType: 'bar', x: 'region' }), options: '{}', drill: JSON.stringify({ page: 'second', filters: { region: 'region' } }),
        },
      ])
      .execute();
    await before
      .insertInto('filters')
      .values({ id: 'f_r', story_id: 's_live', key: 'region', position: 0, label: 'Region', type: 'select', column_name: 'region', dataset_name: 'sales', default_value: JSON.stringify('West'), options: '{}' })
      .execute();
    await before.destroy();

    const store = await openStore({ dataDir: dir });
    try {
      const stories = createStoryRepository(store.db);
      const live = await stories.load('org_a', 'live', { publishedOnly: true });
      const draft = await stories.load('org_a', 's_live');
      // What viewers see is what the tables held: same ids, order and content.
      expect(live.pages.map((p) => [p.id, p.key, p.narrative, p.layout])).toEqual([['p_1', 'first', null, 'grid'], ['p_2', 'second', 'More', 'single']]);
      expect(live.pages[0]?.cards.map((c) => c.id)).toEqual(['c_a', 'c_b']);
      expect(live.pages[0]?.cards[0]).toEqual({ ...draft.pages[0]?.cards[0] });
      expect(live.filters).toEqual(draft.filters);
      expect(live.filters[0]?.defaultValue).toBe('West');
      await expect(stories.load('org_a', 'draft', { publishedOnly: true })).rejects.toMatchObject({ code: 'ERR_STORY_NOT_FOUND' });

      const rows = await store.db.selectFrom('stories').select(['id', 'status', 'published_version']).orderBy('id').execute();
      expect(rows).toEqual([
        { id: 's_draft', status: 'draft', published_version: null },
        { id: 's_live', status: 'published', published_version: 1 },
      ]);
      // The backfilled snapshot reads as the story's definition.
      expect(await stories.exportStory('org_a', 's_live', { published: true })).toEqual(await stories.exportStory('org_a', 's_live'));
    } finally {
      await store.close();
    }
  });
});
