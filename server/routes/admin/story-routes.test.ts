import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, adminClient, createOrg, TEST_ADMIN_KEY } from '../../testing/admin-fixtures.ts';
import { POSTGRES_URL, serviceAvailable } from '../../testing/services.ts';
import { createTestServer, type TestServer } from '../../testing/test-services.ts';

let server: TestServer;
let api: ReturnType<typeof adminClient>;

const REVENUE = { dataset: 'sales', measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }] };
const BY_REGION = { dataset: 'sales', dimensions: [{ column: 'region' }], measures: [{ agg: 'sum', column: 'revenue', as: 'revenue' }] };

/** A small story in the stories-as-code form. */
const definition = (slug: string, extra: Record<string, unknown> = {}) => ({
  slug,
  title: `Story ${slug}`,
  description: 'For the authoring tests',
  status: 'draft',
  filters: [{ name: 'region', label: 'Region', type: 'select', dataset: 'sales', column: 'region' }],
  pages: [
    {
      key: 'overview',
      title: 'Overview',
      layout: 'double',
      cards: [
        { key: 'revenue', type: 'metric', title: 'Revenue', query: REVENUE },
        { key: 'by-region', type: 'chart', title: 'By region', query: BY_REGION, visualization: { chartType: 'bar', x: 'region', y: 'revenue' }, drill: { page: 'detail', filters: { region: 'region' } } },
      ],
    },
    { key: 'detail', title: 'Detail', narrative: 'One region', cards: [{ key: 'note', type: 'text', title: 'Note', options: { markdown: 'Hello **there**' } }] },
  ],
  ...extra,
});

async function embed(path: string, token: string, init: RequestInit = {}) {
  const res = await server.app.request(path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as any };
}

const viewerStory = async (slug: string) => embed('/api/embed/story', await server.token({ story: slug, params: { tenant_id: 1 } }));

async function createStory(slug: string, extra: Record<string, unknown> = {}) {
  const res = await api('POST', '/api/stories', definition(slug, extra));
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

beforeAll(async () => {
  server = await createTestServer();
  api = adminClient(server.app, TEST_ADMIN_KEY);
});

afterAll(async () => {
  await server?.close();
});

describe('/api/stories CRUD', () => {
  it('creates a story from a title, reads, lists, changes and deletes it', async () => {
    const created = await api('POST', '/api/stories', { title: 'Quarterly Revenue!', description: 'Numbers' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      id: expect.stringMatching(/^s_/),
      slug: 'quarterly-revenue',
      title: 'Quarterly Revenue!',
      description: 'Numbers',
      status: 'draft',
      publishedVersion: null,
      collectionId: null,
      filters: [],
      pages: [{ id: expect.stringMatching(/^p_/), key: 'page-1', title: 'Page 1', layout: 'grid', cards: [] }],
    });
    const { id } = created.json;
    // A second story of the same title gets the next free slug.
    expect((await api('POST', '/api/stories', { title: 'Quarterly revenue' })).json.slug).toBe('quarterly-revenue-2');

    expect((await api('GET', `/api/stories/${id}`)).json).toEqual(created.json);
    const patched = await api('PATCH', `/api/stories/${id}`, { title: 'Revenue per quarter', description: null });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ id, slug: 'quarterly-revenue', title: 'Revenue per quarter', description: null });
    const list = await api('GET', '/api/stories?q=per%20quarter');
    expect(list.json.items.map((s: { id: string }) => s.id)).toEqual([id]);

    expect((await api('DELETE', `/api/stories/${id}`)).status).toBe(204);
    for (const [method, path] of [['GET', `/api/stories/${id}`], ['DELETE', `/api/stories/${id}`], ['PATCH', `/api/stories/${id}`], ['POST', `/api/stories/${id}/publish`]] as const) {
      const gone = await api(method, path, method === 'PATCH' ? { title: 'x' } : undefined);
      expect(gone.status, `${method} ${path}`).toBe(404);
      expect(gone.json.code).toBe('ERR_STORY_NOT_FOUND');
    }
  });

  it('refuses a slug that is taken (409 ERR_CONFLICT), from a title or a definition', async () => {
    await createStory('taken-slug');
    const again = await api('POST', '/api/stories', { title: 'Other', slug: 'taken-slug' });
    expect(again.status).toBe(409);
    expect(again.contentType).toContain('application/problem+json');
    expect(again.json).toMatchObject({ code: 'ERR_CONFLICT', slug: 'taken-slug' });
    expect((await api('POST', '/api/stories', definition('taken-slug'))).json.code).toBe('ERR_CONFLICT');
  });

  it('pages through stories with a cursor or an offset, and filters by search, status and collection', async () => {
    const folder = (await api('POST', '/api/collections', { name: 'Paging' })).json;
    const ids: string[] = [];
    for (const n of [3, 1, 5, 2, 4]) {
      const s = await api('POST', '/api/stories', { title: `Zebra paging ${n}`, collectionId: folder.id });
      ids[n - 1] = s.json.id;
    }
    await api('POST', `/api/stories/${ids[1]}/publish`);

    const first = await api('GET', '/api/stories?q=zebra%20PAGING&limit=2');
    expect(first.json).toMatchObject({ total: 5, nextCursor: expect.any(String) });
    expect(first.json.items.map((s: { title: string }) => s.title)).toEqual(['Zebra paging 1', 'Zebra paging 2']);
    const second = await api('GET', `/api/stories?q=zebra%20paging&limit=2&cursor=${first.json.nextCursor}`);
    expect(second.json.items.map((s: { title: string }) => s.title)).toEqual(['Zebra paging 3', 'Zebra paging 4']);
    const third = await api('GET', `/api/stories?q=zebra%20paging&limit=2&cursor=${second.json.nextCursor}`);
    expect(third.json).toMatchObject({ total: 5, nextCursor: null });
    expect(third.json.items.map((s: { title: string }) => s.title)).toEqual(['Zebra paging 5']);

    const offset = await api('GET', '/api/stories?q=zebra&limit=2&offset=3');
    expect(offset.json.items.map((s: { title: string }) => s.title)).toEqual(['Zebra paging 4', 'Zebra paging 5']);
    expect(offset.json.total).toBe(5);

    const published = await api('GET', '/api/stories?q=zebra&status=published');
    expect(published.json).toMatchObject({ total: 1, items: [{ id: ids[1], status: 'published', publishedVersion: 1 }] });
    const inFolder = await api('GET', `/api/stories?collection=${folder.id}`);
    expect(inFolder.json.total).toBe(5);
    expect((await api('GET', '/api/stories?collection=root&q=zebra')).json.total).toBe(0);

    for (const query of ['cursor=abc&offset=1', 'cursor=not-a-cursor', 'limit=0', 'status=archived', 'sort=title']) {
      const bad = await api('GET', `/api/stories?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.json.code).toBe('ERR_VALIDATION');
    }
  });
});

describe('card, page and filter validation', () => {
  let storyId: string;
  let overviewId: string;

  beforeAll(async () => {
    const story = await createStory('validation-story');
    storyId = story.id;
    overviewId = story.pages[0].id;
  });

  it.each([
    ['a chart without a query', { type: 'chart', title: 'No query' }, 'query'],
    ['a text card without markdown', { type: 'text', title: 'Empty' }, 'options.markdown'],
    ['an unknown chart type', { type: 'chart', title: 'Pie?', query: REVENUE, visualization: { chartType: 'radar' } }, 'visualization.chartType'],
    ['an unknown card type', { type: 'map', title: 'Map', query: REVENUE }, 'type'],
    ['a key that is not a key', { key: 'Not A Key', type: 'metric', title: 'X', query: REVENUE }, 'key'],
    ['a query over a name that is not an identifier', { type: 'metric', title: 'X', query: { dataset: 'sales; drop' } }, 'query.dataset'],
    ['a drill to a page the story does not have', { type: 'chart', title: 'X', query: BY_REGION, drill: { page: 'nowhere', filters: {} } }, 'drill.page'],
    ['a drill onto a filter the story does not have', { type: 'chart', title: 'X', query: BY_REGION, drill: { page: 'detail', filters: { region: 'area' } } }, 'drill.filters.region'],
    ['a key another card has', { key: 'revenue', type: 'metric', title: 'X', query: REVENUE }, 'key'],
  ])('refuses %s (400 ERR_VALIDATION naming the member)', async (_, card, path) => {
    const res = await api('POST', `/api/stories/${storyId}/pages/${overviewId}/cards`, card);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json.code).toBe('ERR_VALIDATION');
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining([expect.stringContaining(path)]));
    // Nothing was written.
    expect((await api('GET', `/api/stories/${storyId}`)).json.pages[0].cards).toHaveLength(2);
  });

  it('refuses a broken definition with the path of each problem', async () => {
    const bad = definition('broken', { pages: [{ key: 'p', title: '', cards: [{ key: 'c', type: 'chart', title: 'C', drill: { page: 'q' } }] }] });
    const res = await api('POST', '/api/stories/import', bad);
    expect(res.status).toBe(400);
    expect(res.json.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['pages.0.title', 'pages.0.cards.0.query', 'pages.0.cards.0.drill.page']));
    expect((await api('GET', '/api/stories?q=broken')).json.total).toBe(0);
  });

  it('adds a card with a key made from its title, changes and clears its members', async () => {
    const added = await api('POST', `/api/stories/${storyId}/pages/${overviewId}/cards`, { type: 'table', title: 'Top regions', query: BY_REGION, position: 0 });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: expect.stringMatching(/^c_/), key: 'top-regions', pageId: overviewId, options: {} });
    const story = (await api('GET', `/api/stories/${storyId}`)).json;
    expect(story.pages[0].cards.map((c: { key: string }) => c.key)).toEqual(['top-regions', 'revenue', 'by-region']);

    const changed = await api('PATCH', `/api/stories/${storyId}/cards/${added.json.id}`, { title: 'Regions', description: 'Best first', visualization: { chartType: 'bar' } });
    expect(changed.json).toMatchObject({ id: added.json.id, title: 'Regions', description: 'Best first', visualization: { chartType: 'bar' } });
    const cleared = await api('PATCH', `/api/stories/${storyId}/cards/${added.json.id}`, { description: null, visualization: null });
    expect(cleared.json).not.toHaveProperty('description');
    expect(cleared.json).not.toHaveProperty('visualization');
    const invalid = await api('PATCH', `/api/stories/${storyId}/cards/${added.json.id}`, { query: null });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors).toEqual([expect.objectContaining({ path: 'query' })]);
    const unknown = await api('PATCH', `/api/stories/${storyId}/cards/${added.json.id}`, { colour: 'red' });
    expect(unknown.status).toBe(400);

    expect((await api('DELETE', `/api/stories/${storyId}/cards/${added.json.id}`)).status).toBe(204);
    const missing = await api('PATCH', `/api/stories/${storyId}/cards/${added.json.id}`, { title: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('ERR_CARD_NOT_FOUND');
  });

  it('adds, changes and removes story filters, and keeps those a drill uses', async () => {
    const added = await api('POST', `/api/stories/${storyId}/filters`, { name: 'segment', label: 'Segment', type: 'multi_select', dataset: 'sales', column: 'segment', position: 0 });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: expect.stringMatching(/^f_/), name: 'segment', options: {} });
    expect((await api('GET', `/api/stories/${storyId}`)).json.filters.map((f: { name: string }) => f.name)).toEqual(['segment', 'region']);

    const bad = await api('POST', `/api/stories/${storyId}/filters`, { name: 'x', label: 'X', type: 'slider', dataset: 'sales', column: 'region' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'type' })]);
    const duplicate = await api('POST', `/api/stories/${storyId}/filters`, { name: 'region', label: 'Again', type: 'select', dataset: 'sales', column: 'region' });
    expect(duplicate.status).toBe(400);

    const changed = await api('PATCH', `/api/stories/${storyId}/filters/${added.json.id}`, { label: 'Customer segment', default: ['Consumer'] });
    expect(changed.json).toMatchObject({ id: added.json.id, label: 'Customer segment', default: ['Consumer'] });
    expect((await api('DELETE', `/api/stories/${storyId}/filters/${added.json.id}`)).status).toBe(204);

    const region = (await api('GET', `/api/stories/${storyId}`)).json.filters.find((f: { name: string }) => f.name === 'region');
    // The by-region card drills onto it: renaming or removing it would break the drill.
    const renamed = await api('PATCH', `/api/stories/${storyId}/filters/${region.id}`, { name: 'area' });
    expect(renamed.status).toBe(400);
    expect(renamed.json.errors).toEqual([expect.objectContaining({ path: 'pages.0.cards.1.drill.filters.region' })]);
    const removed = await api('DELETE', `/api/stories/${storyId}/filters/${region.id}`);
    expect(removed.status).toBe(409);
    expect(removed.json.code).toBe('ERR_CONFLICT');
  });
});

describe('pages, reorder and moving cards', () => {
  it('adds pages, reorders pages and cards, and moves a card to another page keeping its id', async () => {
    const story = await createStory('layout-story');
    const [overview, detail] = story.pages;
    const added = await api('POST', `/api/stories/${story.id}/pages`, { title: 'Trends & seasons', layout: 'single' });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject({ id: expect.stringMatching(/^p_/), key: 'trends-seasons', title: 'Trends & seasons', layout: 'single', cards: [] });
    const badLayout = await api('POST', `/api/stories/${story.id}/pages`, { title: 'X', layout: 'quad' });
    expect(badLayout.status).toBe(400);
    expect(badLayout.json.errors).toEqual([expect.objectContaining({ path: 'layout' })]);

    const renamed = await api('PATCH', `/api/stories/${story.id}/pages/${added.json.id}`, { title: 'Trends', narrative: 'Month by month' });
    expect(renamed.json).toMatchObject({ key: 'trends-seasons', title: 'Trends', narrative: 'Month by month' });

    const reordered = await api('POST', `/api/stories/${story.id}/pages/reorder`, { order: [added.json.id, detail.id, overview.id] });
    expect(reordered.status).toBe(200);
    expect((await api('GET', `/api/stories/${story.id}`)).json.pages.map((p: { key: string }) => p.key)).toEqual(['trends-seasons', 'detail', 'overview']);
    for (const order of [[detail.id, overview.id], [detail.id, detail.id, overview.id], [added.json.id, detail.id, 'p_nope']]) {
      const bad = await api('POST', `/api/stories/${story.id}/pages/reorder`, { order });
      expect(bad.status).toBe(400);
      expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'order' })]);
    }

    const [revenue, byRegion] = overview.cards;
    await api('POST', `/api/stories/${story.id}/pages/${overview.id}/cards/reorder`, { order: [byRegion.id, revenue.id] });
    expect((await api('GET', `/api/stories/${story.id}`)).json.pages[2].cards.map((c: { key: string }) => c.key)).toEqual(['by-region', 'revenue']);

    const moved = await api('PATCH', `/api/stories/${story.id}/cards/${revenue.id}`, { pageId: detail.id, position: 0 });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ id: revenue.id, pageId: detail.id });
    const after = (await api('GET', `/api/stories/${story.id}`)).json;
    expect(after.pages[1].cards.map((c: { id: string }) => c.id)).toEqual([revenue.id, detail.cards[0].id]);
    expect(after.pages[2].cards.map((c: { id: string }) => c.id)).toEqual([byRegion.id]);
    const nowhere = await api('PATCH', `/api/stories/${story.id}/cards/${revenue.id}`, { pageId: 'p_nope' });
    expect(nowhere.status).toBe(404);

    // The detail page is a drill target; the last page cannot go either.
    const target = await api('DELETE', `/api/stories/${story.id}/pages/${detail.id}`);
    expect(target.status).toBe(409);
    expect(target.json.errors).toEqual([expect.objectContaining({ path: expect.stringMatching(/drill\.page$/) })]);
    expect((await api('DELETE', `/api/stories/${story.id}/pages/${added.json.id}`)).status).toBe(204);

    const single = (await api('POST', '/api/stories', { title: 'Single page' })).json;
    const last = await api('DELETE', `/api/stories/${single.id}/pages/${single.pages[0].id}`);
    expect(last.status).toBe(409);
  });
});

describe('publishing', () => {
  it('shows viewers the last published version only, with stable card ids, until unpublished', async () => {
    const story = await createStory('publish-story');
    expect((await viewerStory('publish-story')).json.code).toBe('ERR_STORY_NOT_FOUND');

    const v1 = await api('POST', `/api/stories/${story.id}/publish`);
    expect(v1.status).toBe(200);
    expect(v1.json).toMatchObject({ status: 'published', version: 1, publishedVersion: 1, created: true, hasUnpublishedChanges: false });
    const seen1 = await viewerStory('publish-story');
    expect(seen1.status).toBe(200);
    expect(seen1.json.title).toBe('Story publish-story');
    const revenueId = story.pages[0].cards[0].id;
    expect(seen1.json.pages[0].cards[0].id).toBe(revenueId);

    // Edits change the draft; viewers keep seeing version 1.
    await api('PATCH', `/api/stories/${story.id}`, { title: 'Second edition' });
    await api('PATCH', `/api/stories/${story.id}/cards/${revenueId}`, { title: 'Revenue (net)' });
    const extra = await api('POST', `/api/stories/${story.id}/pages`, { title: 'Later' });
    const draft = (await api('GET', `/api/stories/${story.id}`)).json;
    expect(draft).toMatchObject({ title: 'Second edition', status: 'published', publishedVersion: 1, hasUnpublishedChanges: true });
    const stillV1 = await viewerStory('publish-story');
    expect(stillV1.json.title).toBe('Story publish-story');
    expect(stillV1.json.pages.map((p: { key: string }) => p.key)).toEqual(['overview', 'detail']);
    expect(stillV1.json.pages[0].cards[0].title).toBe('Revenue');
    const publishedExport = await api('GET', `/api/stories/${story.id}/export?version=published`);
    expect(publishedExport.json.title).toBe('Story publish-story');

    // Publishing version 2 shows at once (the story repository forgets what it had loaded).
    const v2 = await api('POST', `/api/stories/${story.id}/publish`);
    expect(v2.json).toMatchObject({ version: 2, created: true, hasUnpublishedChanges: false });
    const seen2 = await viewerStory('publish-story');
    expect(seen2.json.title).toBe('Second edition');
    expect(seen2.json.pages.map((p: { id: string }) => p.id)).toEqual([story.pages[0].id, story.pages[1].id, extra.json.id]);
    expect(seen2.json.pages[0].cards[0]).toMatchObject({ id: revenueId, title: 'Revenue (net)' });

    // The card id an open embed holds still answers with data.
    const token = await server.token({ story: 'publish-story', params: { tenant_id: 1 } });
    const data = await embed(`/api/embed/cards/${revenueId}/data`, token, { method: 'POST', body: '{}' });
    expect(data.status).toBe(200);
    expect(data.json.rows).toHaveLength(1);

    // Publishing an unchanged draft adds no version.
    const again = await api('POST', `/api/stories/${story.id}/publish`);
    expect(again.json).toMatchObject({ version: 2, created: false });
    const versions = await api('GET', `/api/stories/${story.id}/versions`);
    expect(versions.json.items.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const hidden = await api('POST', `/api/stories/${story.id}/unpublish`);
    expect(hidden.json).toMatchObject({ status: 'draft', publishedVersion: null });
    const gone = await viewerStory('publish-story');
    expect(gone.status).toBe(404);
    expect(gone.json.code).toBe('ERR_STORY_NOT_FOUND');
    expect((await embed(`/api/embed/cards/${revenueId}/data`, token, { method: 'POST', body: '{}' })).json.code).toBe('ERR_STORY_NOT_FOUND');
  });

  it('keeps the demo story visible to viewers', async () => {
    const demo = await viewerStory('retail-overview');
    expect(demo.status).toBe(200);
    expect(demo.json.pages.length).toBeGreaterThan(0);
  });
});

describe('duplicate', () => {
  it('copies the draft under a new slug with new ids, as a draft', async () => {
    const story = await createStory('original-story');
    await api('POST', `/api/stories/${story.id}/publish`);
    const copy = await api('POST', `/api/stories/${story.id}/duplicate`);
    expect(copy.status).toBe(201);
    expect(copy.json).toMatchObject({ slug: 'original-story-copy', title: 'Story original-story (copy)', status: 'draft', publishedVersion: null });
    expect(copy.json.id).not.toBe(story.id);
    const strip = (s: { pages: Array<{ id?: string; cards: Array<{ id?: string }> }> }) => s.pages.map(({ id: _, cards, ...p }) => ({ ...p, cards: cards.map(({ id: __, ...c }) => c) }));
    expect(strip(copy.json)).toEqual(strip(story));
    const originalIds = new Set([...story.pages.map((p: { id: string }) => p.id), ...story.pages.flatMap((p: { cards: Array<{ id: string }> }) => p.cards.map((c) => c.id))]);
    for (const page of copy.json.pages) {
      expect(originalIds.has(page.id)).toBe(false);
      for (const card of page.cards) expect(originalIds.has(card.id)).toBe(false);
    }
    const named = await api('POST', `/api/stories/${story.id}/duplicate`, { slug: 'named-copy', title: 'Named' });
    expect(named.json).toMatchObject({ slug: 'named-copy', title: 'Named' });
    expect((await api('POST', `/api/stories/${story.id}/duplicate`, { slug: 'named-copy' })).status).toBe(409);
  });
});

describe('stories as code', () => {
  it('imports idempotently by slug and round-trips export → import → export unchanged', async () => {
    const file = definition('as-code', { status: 'published' });
    const first = await api('POST', '/api/stories/import', file);
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ created: true, changed: true, publishedVersion: 1 });
    const before = (await api('GET', `/api/stories/${first.json.id}`)).json;

    const second = await api('POST', '/api/stories/import', file);
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ id: first.json.id, created: false, changed: false, publishedVersion: 1 });
    const after = (await api('GET', `/api/stories/${first.json.id}`)).json;
    expect(after).toEqual(before);

    const exported = await api('GET', `/api/stories/${first.json.id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.json).toMatchObject({ slug: 'as-code', status: 'published', pages: [{ key: 'overview' }, { key: 'detail' }] });
    const reimported = await api('POST', '/api/stories/import', exported.json);
    expect(reimported.json).toMatchObject({ id: first.json.id, changed: false });
    const exportedAgain = await api('GET', `/api/stories/${first.json.id}/export`);
    expect(exportedAgain.text).toBe(exported.text);

    // A changed file keeps the ids of the cards it still has, and publishes a new version.
    const changedFile = structuredClone(exported.json);
    changedFile.pages[0].cards[0].title = 'Revenue, renamed';
    changedFile.pages[0].cards.push({ key: 'orders', type: 'metric', title: 'Orders', query: { dataset: 'sales', measures: [{ agg: 'count', as: 'orders' }] } });
    const third = await api('POST', '/api/stories/import', changedFile);
    expect(third.json).toMatchObject({ id: first.json.id, changed: true, publishedVersion: 2 });
    const changed = (await api('GET', `/api/stories/${first.json.id}`)).json;
    expect(changed.pages[0].cards.slice(0, 2).map((c: { id: string }) => c.id)).toEqual(before.pages[0].cards.map((c: { id: string }) => c.id));
    expect((await viewerStory('as-code')).json.pages[0].cards[0].title).toBe('Revenue, renamed');

    // A file that says draft takes the story away from viewers.
    const drafted = await api('POST', '/api/stories/import', { ...changedFile, status: 'draft' });
    expect(drafted.json).toMatchObject({ changed: true, publishedVersion: null });
    expect((await viewerStory('as-code')).status).toBe(404);
  });
});

describe('collections', () => {
  it('nests collections, lists them, refuses cycles and deleting a non-empty one', async () => {
    const top = await api('POST', '/api/collections', { name: 'Finance' });
    expect(top.status).toBe(201);
    expect(top.json).toMatchObject({ id: expect.stringMatching(/^col_/), name: 'Finance', parentId: null });
    const child = await api('POST', '/api/collections', { name: 'Quarterly', parentId: top.json.id });
    expect(child.json.parentId).toBe(top.json.id);
    const grandchild = await api('POST', '/api/collections', { name: 'Q1', parentId: child.json.id });

    const roots = await api('GET', '/api/collections?parent=root');
    expect(roots.json.items.map((c: { id: string }) => c.id)).toContain(top.json.id);
    expect(roots.json.items.map((c: { id: string }) => c.id)).not.toContain(child.json.id);
    expect((await api('GET', '/api/collections')).json.items.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining([top.json.id, child.json.id, grandchild.json.id]));

    const story = (await api('POST', '/api/stories', { title: 'Budget', collectionId: child.json.id })).json;
    const one = await api('GET', `/api/collections/${child.json.id}`);
    expect(one.json).toMatchObject({ id: child.json.id, storyCount: 1, collections: [{ id: grandchild.json.id }] });

    const cycle = await api('PATCH', `/api/collections/${top.json.id}`, { parentId: grandchild.json.id });
    expect(cycle.status).toBe(400);
    expect(cycle.json.errors).toEqual([expect.objectContaining({ path: 'parentId' })]);
    const renamed = await api('PATCH', `/api/collections/${child.json.id}`, { name: 'Quarterly reports' });
    expect(renamed.json.name).toBe('Quarterly reports');
    expect((await api('POST', '/api/stories', { title: 'Lost', collectionId: 'col_nope' })).status).toBe(404);

    const notEmpty = await api('DELETE', `/api/collections/${child.json.id}`);
    expect(notEmpty.status).toBe(409);
    expect(notEmpty.json).toMatchObject({ code: 'ERR_CONFLICT', collections: 1, stories: 1 });

    await api('PATCH', `/api/stories/${story.id}`, { collectionId: null });
    expect((await api('DELETE', `/api/collections/${grandchild.json.id}`)).status).toBe(204);
    expect((await api('DELETE', `/api/collections/${child.json.id}`)).status).toBe(204);
    expect((await api('GET', `/api/collections/${child.json.id}`)).status).toBe(404);
  });
});

describe('shares', () => {
  it('grants, changes, lists and revokes a user share', async () => {
    const story = await createStory('shared-story');
    const { db } = server.services.store;
    await db.insertInto('users').values({ id: 'u_share_1', org_id: server.services.defaultOrgId, email: 'ana@example.com', name: 'Ana', password_hash: null, role: 'viewer' }).execute();

    const granted = await api('POST', `/api/stories/${story.id}/shares`, { userId: 'u_share_1', level: 'view' });
    expect(granted.status).toBe(201);
    expect(granted.json).toMatchObject({ userId: 'u_share_1', email: 'ana@example.com', level: 'view' });
    const changed = await api('POST', `/api/stories/${story.id}/shares`, { userId: 'u_share_1', level: 'edit' });
    expect(changed.status).toBe(200);
    expect((await api('GET', `/api/stories/${story.id}/shares`)).json.items).toEqual([expect.objectContaining({ userId: 'u_share_1', level: 'edit' })]);

    expect((await api('POST', `/api/stories/${story.id}/shares`, { userId: 'u_share_1', level: 'owner' })).status).toBe(400);
    const noUser = await api('POST', `/api/stories/${story.id}/shares`, { userId: 'u_nobody', level: 'view' });
    expect(noUser.status).toBe(404);
    expect(noUser.json.code).toBe('ERR_NOT_FOUND');

    expect((await api('DELETE', `/api/stories/${story.id}/shares/u_share_1`)).status).toBe(204);
    expect((await api('DELETE', `/api/stories/${story.id}/shares/u_share_1`)).status).toBe(404);
    expect((await api('GET', `/api/stories/${story.id}/shares`)).json.items).toEqual([]);
  });
});

describe('organisations and permissions', () => {
  it('keeps another organisation away from the stories, collections and users of this one', async () => {
    const story = await createStory('private-story');
    const folder = (await api('POST', '/api/collections', { name: 'Private' })).json;
    const other = await createOrg(server.services.store.db, 'rival');
    const rival = adminClient(server.app, other.key);
    const page = story.pages[0];
    const card = page.cards[0];
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/stories/${story.id}`],
      ['PATCH', `/api/stories/${story.id}`, { title: 'Mine now' }],
      ['DELETE', `/api/stories/${story.id}`],
      ['POST', `/api/stories/${story.id}/publish`],
      ['POST', `/api/stories/${story.id}/duplicate`],
      ['GET', `/api/stories/${story.id}/export`],
      ['POST', `/api/stories/${story.id}/pages`, { title: 'Injected' }],
      ['PATCH', `/api/stories/${story.id}/pages/${page.id}`, { title: 'Injected' }],
      ['POST', `/api/stories/${story.id}/pages/${page.id}/cards`, { type: 'metric', title: 'X', query: REVENUE }],
      ['PATCH', `/api/stories/${story.id}/cards/${card.id}`, { title: 'Injected' }],
      ['DELETE', `/api/stories/${story.id}/cards/${card.id}`],
      ['GET', `/api/stories/${story.id}/shares`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await rival(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.code).toBe('ERR_STORY_NOT_FOUND');
    }
    expect((await rival('GET', `/api/collections/${folder.id}`)).status).toBe(404);
    expect((await rival('DELETE', `/api/collections/${folder.id}`)).status).toBe(404);
    expect((await rival('GET', '/api/stories?q=private')).json).toMatchObject({ total: 0, items: [] });
    // A user of this organisation cannot be given a share of the rival's story.
    await server.services.store.db.insertInto('users').values({ id: 'u_home', org_id: server.services.defaultOrgId, email: 'home@example.com', name: 'Home', password_hash: null, role: 'viewer' }).execute();
    const theirs = await rival('POST', '/api/stories', { title: 'Their story' });
    expect((await rival('POST', `/api/stories/${theirs.json.id}/shares`, { userId: 'u_home', level: 'view' })).status).toBe(404);
    // The same slug is free in another organisation, and importing it there leaves this one alone.
    const imported = await rival('POST', '/api/stories/import', definition('private-story'));
    expect(imported.status).toBe(201);
    expect(imported.json.id).not.toBe(story.id);
    expect((await api('GET', `/api/stories/${story.id}`)).json).toEqual(story);
  });

  it('lets a viewer key read but not create, and an analyst edit but not publish', async () => {
    const viewer = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'viewer')).key);
    const analyst = adminClient(server.app, (await addApiKey(server.services.store.db, server.services.defaultOrgId, 'analyst')).key);
    expect((await viewer('GET', '/api/stories')).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/api/stories', { title: 'Nope' }],
      ['POST', '/api/stories/import', definition('viewer-import')],
      ['POST', '/api/collections', { name: 'Nope' }],
    ] as const) {
      const res = await viewer(method, path, body);
      expect(res.status, path).toBe(403);
      expect(res.json).toMatchObject({ code: 'ERR_FORBIDDEN' });
    }

    const story = await analyst('POST', '/api/stories', { title: 'Analyst story' });
    expect(story.status).toBe(201);
    expect((await analyst('PATCH', `/api/stories/${story.json.id}`, { title: 'Edited' })).status).toBe(200);
    const publish = await analyst('POST', `/api/stories/${story.json.id}/publish`);
    expect(publish.status).toBe(403);
    expect(publish.json.permission).toBe('story:publish');
    expect((await analyst('POST', '/api/stories/import', definition('analyst-published', { status: 'published' }))).status).toBe(403);
    expect((await analyst('DELETE', `/api/stories/${story.json.id}`)).status).toBe(403);
  });
});

describe.skipIf(!(await serviceAvailable('postgres')))('with the platform store on PostgreSQL', () => {
  const schema = `insight_story_routes_${process.pid}`;
  let pgServer: TestServer;
  let pgApi: ReturnType<typeof adminClient>;

  beforeAll(async () => {
    pgServer = await createTestServer({ databaseUrl: POSTGRES_URL }, { storeSchema: schema });
    pgApi = adminClient(pgServer.app, TEST_ADMIN_KEY);
  });

  afterAll(async () => {
    await pgServer?.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('loses no edit and adds no duplicate version when authors work at the same time', async () => {
    const story = (await pgApi('POST', '/api/stories', definition('concurrent-story'))).json;
    const page = story.pages[0].id;
    const added = await Promise.all(
      Array.from({ length: 5 }, (_, i) => pgApi('POST', `/api/stories/${story.id}/pages/${page}/cards`, { key: `metric-${i}`, type: 'metric', title: `Metric ${i}`, query: REVENUE })),
    );
    expect(added.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const cards = (await pgApi('GET', `/api/stories/${story.id}`)).json.pages[0].cards.map((c: { key: string }) => c.key);
    expect(cards.sort()).toEqual(['by-region', 'metric-0', 'metric-1', 'metric-2', 'metric-3', 'metric-4', 'revenue']);

    const publishes = await Promise.all([1, 2, 3].map(() => pgApi('POST', `/api/stories/${story.id}/publish`)));
    expect(publishes.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(publishes.map((r) => r.json.version)).toEqual([1, 1, 1]);
    expect(publishes.filter((r) => r.json.created)).toHaveLength(1);

    const token = await pgServer.token({ story: 'concurrent-story', params: { tenant_id: 1 } });
    const view = await pgServer.app.request('/api/embed/story', { headers: { authorization: `Bearer ${token}` } });
    expect(((await view.json()) as { pages: Array<{ cards: unknown[] }> }).pages[0]?.cards).toHaveLength(7);

    const exported = await pgApi('GET', `/api/stories/${story.id}/export`);
    expect((await pgApi('POST', '/api/stories/import', exported.json)).json).toMatchObject({ id: story.id, changed: false, publishedVersion: 1 });
    expect((await pgApi('GET', `/api/stories/${story.id}/export`)).text).toBe(exported.text);
  });
});
