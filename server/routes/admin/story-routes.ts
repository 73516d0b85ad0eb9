/**
 * `/api/stories`: authoring the stories of the caller's organisation — the
 * draft's pages, cards and filters, publishing, duplicates, shares, and
 * stories as code (export, import). Viewers only ever see the last published
 * version: edits change the draft until the story is published again.
 * Every route on one story asks story-access.ts, so a user's share of the
 * story adds to what their role grants (view, edit, admin).
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AdminEnv } from '../../auth/admin-auth.ts';
import { requirePermission, type Permission } from '../../auth/permissions.ts';
import { InsightError } from '../../errors/insight-error.ts';
import type { HttpMethod } from '../../ops/openapi.ts';
import type { ShareLevel, StoreSchema, StoryRow } from '../../store/store-schema.ts';
import { createStoryAccess } from '../../stories/story-access.ts';
import { createStoryAuthoring } from '../../stories/story-authoring.ts';
import { cardFieldsSchema, checkCard, filterDefinitionSchema, storyDefinitionSchema, type StoryDefinition } from '../../stories/story-definition.ts';
import type { DraftStory } from '../../stories/story-draft.ts';
import type { DraftEdit } from '../../stories/story-edits.ts';
import { addCard, addFilter, addPage, removeCard, removeFilter, removePage, reorderCards, reorderPages, updateCard, updateFilter, updatePage } from '../../stories/story-edits.ts';
import type { StoryRepository } from '../../stories/story-repository.ts';
import { createStoryShares, SHARE_LEVELS, type StoryShare } from '../../stories/story-shares.ts';
import { defineRoute } from '../define-route.ts';
import { adminApp, idParam } from './admin-app.ts';
import { byKey } from '../../schema/by-key.ts';
import { patchOf } from '../../schema/patch-of.ts';
import type { Versioning } from './versioning.ts';

export interface StoryRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  db: Kysely<StoreSchema>;
  stories: StoryRepository;
  versioning: Versioning;
}

const id = z.string().min(1).max(100);
const title = z.string().trim().min(1).max(200);
const position = z.number().int().min(0).max(1000).optional();

const listQuery = z
  .object({
    q: z.string().min(1).max(200).optional(),
    collection: id.optional(),
    status: z.enum(['draft', 'published']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().min(1).max(1000).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  })
  .strict()
  .refine((q) => q.cursor === undefined || q.offset === undefined, { message: 'give a cursor or an offset, not both', path: ['offset'] });

const newStoryBody = z
  .object({
    title,
    slug: z.string().regex(/^[a-z0-9][a-z0-9-_]{0,62}$/, 'lower-case letters, digits, - and _').optional(),
    description: z.string().max(5000).optional(),
    collectionId: id.nullable().optional(),
  })
  .strict();

const storyPatch = z.object({ title: title.optional(), description: z.string().max(5000).nullable().optional(), collectionId: id.nullable().optional() }).strict();
const duplicateBody = newStoryBody.pick({ title: true, slug: true }).partial();
const pageBody = z
  .object({ key: z.string().max(100).optional(), title: z.string().max(1000), narrative: z.string().max(10_000).optional(), layout: z.string().max(20).optional(), position })
  .strict();
const pagePatch = z.object({ key: z.string().max(100).optional(), title: z.string().max(1000).optional(), narrative: z.string().max(10_000).nullable().optional(), layout: z.string().max(20).optional() }).strict();
const orderBody = z.object({ order: z.array(id).max(1000) }).strict();
/** A card as the stories-as-code card schema has it, its key made from the title when missing, plus where to insert it. */
const cardBody = cardFieldsSchema.extend({ key: cardFieldsSchema.shape.key.optional(), position }).superRefine(checkCard);
/** A card or filter patch: each member typed as in the definition; null clears an optional member. */
const cardPatch = patchOf(cardFieldsSchema).extend({ pageId: id.optional(), position }).strict();
const filterBody = filterDefinitionSchema.extend({ position });
const filterPatch = patchOf(filterDefinitionSchema).extend({ position }).strict();
const shareBody = z.object({ userId: id, level: z.enum(SHARE_LEVELS) }).strict();
const exportQuery = z.object({ version: z.enum(['draft', 'published']).default('draft') }).strict();
/** `{ title, … }` for an empty story, or a whole story definition (told apart by `pages`). */
const createBody = byKey('pages', storyDefinitionSchema, newStoryBody);

const S = '/api/stories';
/** Routes that answer 201 with what they created. */
const creates = (method: HttpMethod, path: string) => method === 'post' && (path === S || /\/(pages|cards|filters|duplicate)$/.test(path));
/** Routes on one story's version: the story, its draft's pages, cards and filters, publishing (not versions, export, shares or copies). */
const versioned = (path: string) => path.startsWith(`${S}/:id`) && !/\/(versions|export|shares|duplicate)(\/|$)/.test(path);
function storyRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  method: HttpMethod,
  path: string,
  summary: string,
  permission: Permission,
  input: { body?: B; query?: Q } = {},
) {
  return defineRoute<B, Q>({
    method,
    path,
    summary,
    tags: ['stories'],
    auth: 'admin',
    permission,
    ...(creates(method, path) ? { status: 201 } : {}),
    ...(versioned(path) ? { versioned: true } : {}),
    ...input,
  });
}

const route = {
  list: storyRoute('get', S, 'List stories: search `q` over title and slug, `collection` (an id or `root`), `status`, `limit` with `cursor` or `offset`; answers `{ items, total, nextCursor }`', 'datasource:read', { query: listQuery }),
  create: storyRoute('post', S, 'Create a draft story from `{ title, slug?, description?, collectionId? }` (one empty page) or from a whole story definition (with `pages`; `status: published` needs story:publish)', 'story:create', { body: createBody }),
  import: storyRoute('post', `${S}/import`, "Stories as code: create or replace the story of the definition's slug, keeping ids by key (idempotent)", 'story:create', { body: storyDefinitionSchema }),
  get: storyRoute('get', `${S}/:id`, 'The story with its draft pages, cards and filters (with ids)', 'datasource:read'),
  update: storyRoute('patch', `${S}/:id`, 'Change title, description or collection', 'story:edit', { body: storyPatch }),
  remove: storyRoute('delete', `${S}/:id`, 'Delete the story (viewers lose it at once)', 'story:delete'),
  duplicate: storyRoute('post', `${S}/:id/duplicate`, 'A draft copy with new ids under a new slug', 'story:create', { body: duplicateBody }),
  publish: storyRoute('post', `${S}/:id/publish`, "Make the draft the version viewers see (a new version unless unchanged); answers `version`, the published version, and the story's ETag", 'story:publish'),
  unpublish: storyRoute('post', `${S}/:id/unpublish`, 'Take the story away from viewers', 'story:publish'),
  versions: storyRoute('get', `${S}/:id/versions`, 'Published versions, newest first', 'datasource:read'),
  export: storyRoute('get', `${S}/:id/export`, 'The story definition (`?version=published` for the version viewers see)', 'datasource:read', { query: exportQuery }),
  addPage: storyRoute('post', `${S}/:id/pages`, 'Add a page (`position` to insert; key made from the title when missing)', 'story:edit', { body: pageBody }),
  reorderPages: storyRoute('post', `${S}/:id/pages/reorder`, 'Order the pages: `{ order: [pageId…] }` listing each once', 'story:edit', { body: orderBody }),
  updatePage: storyRoute('patch', `${S}/:id/pages/:pageId`, 'Change a page', 'story:edit', { body: pagePatch }),
  removePage: storyRoute('delete', `${S}/:id/pages/:pageId`, 'Delete a page and its cards (409 for the last page or a drill target)', 'story:edit'),
  addCard: storyRoute('post', `${S}/:id/pages/:pageId/cards`, 'Add a card (the stories-as-code card schema, `key` made from the title when missing, plus `position`)', 'story:edit', { body: cardBody }),
  reorderCards: storyRoute('post', `${S}/:id/pages/:pageId/cards/reorder`, 'Order the cards of a page: `{ order: [cardId…] }`', 'story:edit', { body: orderBody }),
  updateCard: storyRoute('patch', `${S}/:id/cards/:cardId`, 'Change a card (null clears a member; the result must be a valid card); `pageId` and `position` move it', 'story:edit', { body: cardPatch }),
  removeCard: storyRoute('delete', `${S}/:id/cards/:cardId`, 'Delete a card', 'story:edit'),
  addFilter: storyRoute('post', `${S}/:id/filters`, 'Add a story filter (`position` to insert)', 'story:edit', { body: filterBody }),
  updateFilter: storyRoute('patch', `${S}/:id/filters/:filterId`, 'Change a story filter (null clears a member; the result must be a valid filter)', 'story:edit', { body: filterPatch }),
  removeFilter: storyRoute('delete', `${S}/:id/filters/:filterId`, 'Delete a story filter (409 when a drill sets it)', 'story:edit'),
  shares: storyRoute('get', `${S}/:id/shares`, 'Users the story is shared with', 'datasource:read'),
  share: storyRoute('post', `${S}/:id/shares`, 'Share with a user of the organisation: `{ userId, level: view|edit|admin }`', 'share:grant', { body: shareBody }),
  unshare: storyRoute('delete', `${S}/:id/shares/:userId`, 'Stop sharing with a user', 'share:grant'),
};

export function storySummary(row: StoryRow) {
  return {
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    status: row.status,
    /** Bumped by every change to the story or its draft's pages, cards and filters; the ETag is this number in quotes. */
    version: row.version,
    collectionId: row.collection_id,
    publishedVersion: row.published_version,
    publishedAt: row.published_at?.toISOString() ?? null,
    /** The draft was edited after the version viewers see was published. */
    hasUnpublishedChanges: row.status === 'published' && row.published_at !== null && row.updated_at > row.published_at,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function storyDetail(row: StoryRow, draft: DraftStory) {
  return { ...storySummary(row), filters: draft.filters, pages: draft.pages };
}

const shareView = (s: StoryShare) => ({ ...s, createdAt: s.createdAt.toISOString() });

function cardView(draft: DraftStory, cardId: string) {
  for (const page of draft.pages) {
    const card = page.cards.find((c) => c.id === cardId);
    if (card) return { ...card, pageId: page.id };
  }
  throw new InsightError('ERR_CARD_NOT_FOUND');
}

const pageView = (draft: DraftStory, pageId: string | undefined) => draft.pages.find((p) => p.id === pageId);
const filterView = (draft: DraftStory, filterId: string | undefined) => draft.filters.find((f) => f.id === filterId);

export function storyRoutes(deps: StoryRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);
  const authoring = createStoryAuthoring(deps.db, deps.stories);
  const shares = createStoryShares(deps.db);
  const access = createStoryAccess(deps.db);
  const storyId = (c: Context<AdminEnv>) => {
    const value = c.req.param('id');
    if (!value || value.length > 100) throw new InsightError('ERR_STORY_NOT_FOUND');
    return value;
  };
  /** The role's permission org-wide, or a user's share of this story at the level (see story-access.ts). */
  const allow = (c: Context<AdminEnv>, level: ShareLevel, permission: Permission) => access.require(c.get('admin'), storyId(c), level, permission);
  const param = (c: Context<AdminEnv>, name: string) => idParam(c.req.param(name));
  const { versioning } = deps;

  /**
   * Edits the draft over the If-Match version and sets the story's new ETag.
   * Pages, cards and filters share the story's version: every edit checks and
   * rewrites the whole draft, so that is the unit two editors can conflict on.
   */
  async function editDraft(c: Context<AdminEnv>, apply: (draft: DraftStory) => DraftEdit) {
    const { draft, edit, version } = await authoring.edit(c.get('admin').orgId, storyId(c), apply, versioning.expected(c));
    versioning.tag(c, version);
    return { draft, edit };
  }

  /** The story with its draft, tagged with its ETag. */
  async function detailReply(c: Context<AdminEnv>, id: string, status?: 201) {
    const body = await detail(c.get('admin').orgId, id);
    return versioning.json(c, body, body.version, status);
  }

  /** Importing or creating from a definition: publishing (or taking a published story away) needs story:publish too. */
  async function importAs(c: Context<AdminEnv>, definition: StoryDefinition, options: { mustBeNew: boolean }) {
    const admin = c.get('admin');
    const existing = await deps.db.selectFrom('stories').select(['id', 'status']).where('org_id', '=', admin.orgId).where('slug', '=', definition.slug).executeTakeFirst();
    if (existing && options.mustBeNew) throw new InsightError('ERR_CONFLICT', `A story with the slug "${definition.slug}" already exists`, { slug: definition.slug });
    if (existing) await access.require(admin, existing.id, 'edit', 'story:edit');
    if (definition.status === 'published' || existing?.status === 'published') {
      if (existing) await access.require(admin, existing.id, 'admin', 'story:publish');
      else requirePermission(admin, 'story:publish');
    }
    return deps.stories.importStory(admin.orgId, definition, { actor: admin.keyId });
  }

  async function detail(orgId: string, id: string) {
    const { story, draft } = await authoring.draft(orgId, id);
    return storyDetail(story, draft);
  }

  app.get('/', async (c) => {
    const admin = c.get('admin');
    const page = await access.list(admin, route.list.query(c), (options) => authoring.list(admin.orgId, options));
    return c.json({ items: page.items.map(storySummary), total: page.total, nextCursor: page.nextCursor });
  });

  app.post('/', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'story:create');
    const body = await route.create.body(c);
    if ('pages' in body) {
      const result = await importAs(c, body, { mustBeNew: true });
      return detailReply(c, result.id, 201);
    }
    const story = await authoring.create(admin.orgId, body);
    return detailReply(c, story.id, 201);
  });

  app.post('/import', async (c) => {
    requirePermission(c.get('admin'), 'story:create');
    const result = await importAs(c, await route.import.body(c), { mustBeNew: false });
    return c.json(result, result.created ? 201 : 200);
  });

  app.get('/:id', async (c) => {
    await allow(c, 'view', 'datasource:read');
    return detailReply(c, storyId(c));
  });

  app.patch('/:id', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const patch = await route.update.body(c);
    const story = await authoring.update(admin.orgId, id, patch, versioning.expected(c));
    return versioning.json(c, storySummary(story), story.version);
  });

  app.delete('/:id', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'admin', 'story:delete');
    await authoring.remove(admin.orgId, storyId(c), versioning.expected(c));
    return c.body(null, 204);
  });

  app.post('/:id/duplicate', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'story:create');
    await allow(c, 'view', 'datasource:read');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const copy = await authoring.duplicate(admin.orgId, id, await route.duplicate.body(c));
    return detailReply(c, copy.id, 201);
  });

  app.post('/:id/publish', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'admin', 'story:publish');
    const { story, version, created } = await authoring.publish(admin.orgId, storyId(c), admin.keyId, versioning.expected(c));
    // Here `version` stays the published version it always was; the story's own version is in the ETag.
    return versioning.json(c, { ...storySummary(story), version, created }, story.version);
  });

  app.post('/:id/unpublish', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'admin', 'story:publish');
    const story = await authoring.unpublish(admin.orgId, storyId(c), versioning.expected(c));
    return versioning.json(c, storySummary(story), story.version);
  });

  app.get('/:id/versions', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'view', 'datasource:read');
    const versions = await authoring.versions(admin.orgId, storyId(c));
    return c.json({ items: versions.map((v) => ({ ...v, publishedAt: v.publishedAt.toISOString() })) });
  });

  app.get('/:id/export', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'view', 'datasource:read');
    const { version } = route.export.query(c);
    return c.json(await deps.stories.exportStory(admin.orgId, storyId(c), { published: version === 'published' }));
  });

  // Pages
  app.post('/:id/pages', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const body = await route.addPage.body(c);
    const { draft, edit } = await editDraft(c, (d) => addPage(d, body));
    return c.json(pageView(draft, edit.id), 201);
  });

  app.post('/:id/pages/reorder', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { order } = await route.reorderPages.body(c);
    const { draft } = await editDraft(c, (d) => reorderPages(d, order));
    return c.json({ pages: draft.pages.map((p) => ({ id: p.id, key: p.key, title: p.title })) });
  });

  app.patch('/:id/pages/:pageId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const body = await route.updatePage.body(c);
    const { draft, edit } = await editDraft(c, (d) => updatePage(d, param(c, 'pageId'), body));
    return c.json(pageView(draft, edit.id));
  });

  app.delete('/:id/pages/:pageId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    await editDraft(c, (d) => removePage(d, param(c, 'pageId')));
    return c.body(null, 204);
  });

  // Cards
  app.post('/:id/pages/:pageId/cards', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { position: at, ...card } = await route.addCard.body(c);
    const { draft, edit } = await editDraft(c, (d) => addCard(d, param(c, 'pageId'), card, at));
    return c.json(cardView(draft, edit.id as string), 201);
  });

  app.post('/:id/pages/:pageId/cards/reorder', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { order } = await route.reorderCards.body(c);
    const pageId = param(c, 'pageId');
    const { draft } = await editDraft(c, (d) => reorderCards(d, pageId, order));
    return c.json(pageView(draft, pageId));
  });

  app.patch('/:id/cards/:cardId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { pageId, position: at, ...patch } = await route.updateCard.body(c);
    const { draft, edit } = await editDraft(c, (d) => updateCard(d, param(c, 'cardId'), patch, { pageId, position: at }));
    return c.json(cardView(draft, edit.id as string));
  });

  app.delete('/:id/cards/:cardId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    await editDraft(c, (d) => removeCard(d, param(c, 'cardId')));
    return c.body(null, 204);
  });

  // Story filters
  app.post('/:id/filters', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { position: at, ...filter } = await route.addFilter.body(c);
    const { draft, edit } = await editDraft(c, (d) => addFilter(d, filter, at));
    return c.json(filterView(draft, edit.id), 201);
  });

  app.patch('/:id/filters/:filterId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const { position: at, ...patch } = await route.updateFilter.body(c);
    const { draft, edit } = await editDraft(c, (d) => updateFilter(d, param(c, 'filterId'), patch, at));
    return c.json(filterView(draft, edit.id));
  });

  app.delete('/:id/filters/:filterId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'edit', 'story:edit');
    await editDraft(c, (d) => removeFilter(d, param(c, 'filterId')));
    return c.body(null, 204);
  });

  // Shares
  app.get('/:id/shares', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'view', 'datasource:read');
    return c.json({ items: (await shares.list(admin.orgId, storyId(c))).map(shareView) });
  });

  app.post('/:id/shares', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'admin', 'share:grant');
    const id = storyId(c);
    await authoring.get(admin.orgId, id);
    const body = await route.share.body(c);
    const { share, created } = await shares.grant(admin.orgId, id, { ...body, grantedBy: admin.keyId });
    return c.json(shareView(share), created ? 201 : 200);
  });

  app.delete('/:id/shares/:userId', async (c) => {
    const admin = c.get('admin');
    await allow(c, 'admin', 'share:grant');
    await shares.revoke(admin.orgId, storyId(c), param(c, 'userId'));
    return c.body(null, 204);
  });

  return app;
}
