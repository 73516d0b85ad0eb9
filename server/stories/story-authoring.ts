/**
 * Story authoring in the platform store: stories of one organisation, their
 * drafts, publishing and versions. Every query is confined to the caller's
 * organisation (another organisation's story is ERR_STORY_NOT_FOUND), every
 * draft edit runs in a transaction holding the story row, and every write
 * drops the story repository's loaded stories, so a publish reaches viewers
 * on this instance at once.
 */
import { containsPattern, decodeCursor, encodeCursor } from '../store/page-cursor.ts';
import type { Kysely, Transaction } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import { claimVersion, type ExpectedVersion } from '../store/resource-version.ts';
import type { StoreSchema, StoryRow } from '../store/store-schema.ts';
import { checkDraft, definitionToDraft, draftToDefinition, publishDraft, randomId, readDraft, snapshotToDraft, writeDraft, type DraftStory } from './story-draft.ts';
import { keyFromTitle, type DraftEdit } from './story-edits.ts';
import type { StoryRepository } from './story-repository.ts';

export interface StoryListOptions {
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** Skips this many stories (instead of a cursor). */
  offset?: number | undefined;
  /** Text contained in the title or the slug, ignoring case. */
  q?: string | undefined;
  /** Stories directly in this collection; `root` for those in none. */
  collection?: string | undefined;
  status?: 'draft' | 'published' | undefined;
  /** Only the stories shared with this user (of the same organisation). */
  sharedWith?: string | undefined;
}

export interface StoryListPage {
  items: StoryRow[];
  /** Stories matching the search, over all pages. */
  total: number;
  nextCursor: string | null;
}

export interface NewStory {
  title: string;
  slug?: string | undefined;
  description?: string | undefined;
  collectionId?: string | null | undefined;
}

export interface StoryVersion {
  version: number;
  publishedAt: Date;
  publishedBy: string | null;
}

export interface StoryAuthoring {
  list(orgId: string, options: StoryListOptions): Promise<StoryListPage>;
  get(orgId: string, id: string): Promise<StoryRow>;
  /** The story and its draft (pages, cards and filters with their ids). */
  draft(orgId: string, id: string): Promise<{ story: StoryRow; draft: DraftStory }>;
  /** A draft story with one empty page. Throws ERR_CONFLICT when the slug is taken. */
  create(orgId: string, input: NewStory): Promise<StoryRow>;
  /**
   * Every write below bumps the story's version, which also covers its draft's
   * pages, cards and filters; with `expected` it applies only over that version
   * (ERR_VERSION_CONFLICT otherwise).
   */
  update(orgId: string, id: string, patch: { title?: string | undefined; description?: string | null | undefined; collectionId?: string | null | undefined }, expected?: ExpectedVersion): Promise<StoryRow>;
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<void>;
  /** A draft copy with new ids under a new slug (shares and versions are not copied). */
  duplicate(orgId: string, id: string, input: { slug?: string | undefined; title?: string | undefined }): Promise<StoryRow>;
  publish(orgId: string, id: string, actor: string | null, expected?: ExpectedVersion): Promise<{ story: StoryRow; version: number; created: boolean }>;
  unpublish(orgId: string, id: string, expected?: ExpectedVersion): Promise<StoryRow>;
  versions(orgId: string, id: string): Promise<StoryVersion[]>;
  /** The draft as a given version published it. */
  version(orgId: string, id: string, version: number): Promise<DraftStory>;
  /** Applies an edit to the draft, checks the whole story and saves it; returns the saved draft, the edit and the story's new version. */
  edit(orgId: string, id: string, apply: (draft: DraftStory) => DraftEdit, expected?: ExpectedVersion): Promise<{ draft: DraftStory; edit: DraftEdit; version: number }>;
  /** Throws ERR_NOT_FOUND unless the collection belongs to the organisation. */
  checkCollection(orgId: string, collectionId: string): Promise<void>;
}




const storyNotFound = () => new InsightError('ERR_STORY_NOT_FOUND');

const slugConflict = (slug: string) => new InsightError('ERR_CONFLICT', `A story with the slug "${slug}" already exists`, { slug });

/**
 * @example
 * const authoring = createStoryAuthoring(store.db, services.stories);
 * const story = await authoring.create(orgId, { title: 'Churn' });
 * await authoring.edit(orgId, story.id, (draft) => addPage(draft, { title: 'Cohorts' }));
 * await authoring.publish(orgId, story.id, 'k_123');
 */
export function createStoryAuthoring(db: Kysely<StoreSchema>, stories: Pick<StoryRepository, 'forget'>): StoryAuthoring {
  async function getIn(tx: Kysely<StoreSchema> | Transaction<StoreSchema>, orgId: string, id: string): Promise<StoryRow> {
    const row = await tx.selectFrom('stories').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new InsightError('ERR_STORY_NOT_FOUND');
    return row;
  }

  /** Claims the story's next version (and its row lock) in `tx`, then reads it. */
  async function claim(tx: Transaction<StoreSchema>, orgId: string, id: string, expected: ExpectedVersion): Promise<StoryRow> {
    await claimVersion(tx, 'stories', { orgId, id }, expected, storyNotFound);
    return getIn(tx, orgId, id);
  }

  async function checkCollection(orgId: string, collectionId: string): Promise<void> {
    const found = await db.selectFrom('collections').select('id').where('org_id', '=', orgId).where('id', '=', collectionId).executeTakeFirst();
    if (!found) throw new InsightError('ERR_NOT_FOUND', 'The collection does not exist', { errors: [{ path: 'collectionId', message: 'no such collection' }] });
  }

  /** A free slug made from a title: the title's key, then -2, -3… */
  async function freeSlug(orgId: string, title: string): Promise<string> {
    const base = keyFromTitle(title, 'story', new Set());
    const taken = await db.selectFrom('stories').select('slug').where('org_id', '=', orgId).where('slug', 'like', `${base.replace(/[\\%_]/g, (c) => `\\${c}`)}%`).execute();
    return keyFromTitle(base, 'story', new Set(taken.map((r) => r.slug)));
  }

  async function insertStory(orgId: string, draft: DraftStory, collectionId: string | null): Promise<StoryRow> {
    try {
      return await db.transaction().execute(async (tx) => {
        await tx
          .insertInto('stories')
          .values({ id: draft.id, org_id: orgId, slug: draft.slug, title: draft.title, description: draft.description ?? null, status: 'draft', collection_id: collectionId })
          .execute();
        await writeDraft(tx, draft);
        return getIn(tx, orgId, draft.id);
      });
    } catch (error) {
      throw isUniqueViolation(error) ? slugConflict(draft.slug) : error;
    }
  }

  async function changed<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } finally {
      stories.forget();
    }
  }

  return {
    async list(orgId, options) {
      let query = db.selectFrom('stories').where('org_id', '=', orgId);
      if (options.q) {
        const pattern = containsPattern(options.q);
        query = query.where((eb) => eb.or([eb('title', 'ilike', pattern), eb('slug', 'ilike', pattern)]));
      }
      if (options.collection === 'root') query = query.where('collection_id', 'is', null);
      else if (options.collection) query = query.where('collection_id', '=', options.collection);
      if (options.status) query = query.where('status', '=', options.status);
      const user = options.sharedWith;
      if (user) {
        query = query.where('id', 'in', (eb) =>
          eb.selectFrom('story_shares').innerJoin('users', 'users.id', 'story_shares.user_id').select('story_shares.story_id').where('story_shares.user_id', '=', user).where('users.org_id', '=', orgId),
        );
      }
      const { total } = await query.select((eb) => eb.fn.countAll<string | number>().as('total')).executeTakeFirstOrThrow();
      let page = query.selectAll();
      if (options.cursor) {
        const [title, id] = decodeCursor(options.cursor, 2) as [string, string];
        page = page.where((eb) => eb.or([eb('title', '>', title), eb.and([eb('title', '=', title), eb('id', '>', id)])]));
      }
      if (options.offset) page = page.offset(options.offset);
      const rows = await page.orderBy('title').orderBy('id').limit(options.limit + 1).execute();
      const items = rows.slice(0, options.limit);
      const last = items.at(-1);
      return { items, total: Number(total), nextCursor: rows.length > options.limit && last ? encodeCursor([last.title, last.id]) : null };
    },

    get: (orgId, id) => getIn(db, orgId, id),

    async draft(orgId, id) {
      const story = await getIn(db, orgId, id);
      return { story, draft: await readDraft(db, story) };
    },

    async create(orgId, input) {
      if (input.collectionId) await checkCollection(orgId, input.collectionId);
      const slug = input.slug ?? (await freeSlug(orgId, input.title));
      const draft = checkDraft(
        {
          id: randomId('s'),
          slug,
          title: input.title,
          ...(input.description !== undefined ? { description: input.description } : {}),
          filters: [],
          pages: [{ id: randomId('p'), key: 'page-1', title: 'Page 1', layout: 'grid', cards: [] }],
        },
        {},
      );
      return changed(insertStory(orgId, draft, input.collectionId ?? null));
    },

    async update(orgId, id, patch, expected) {
      if (patch.collectionId) await checkCollection(orgId, patch.collectionId);
      return changed(
        db.transaction().execute(async (tx) => {
          const story = await claim(tx, orgId, id, expected);
          const content: { title?: string; description?: string | null; updated_at?: Date } = {};
          if (patch.title !== undefined && patch.title !== story.title) content.title = patch.title;
          if (patch.description !== undefined && patch.description !== story.description) content.description = patch.description;
          // Title and description are part of what viewers see; the collection is only where authors file it.
          if (Object.keys(content).length > 0) content.updated_at = new Date();
          const set = { ...content, ...(patch.collectionId !== undefined ? { collection_id: patch.collectionId } : {}) };
          if (Object.keys(set).length > 0) await tx.updateTable('stories').set(set).where('id', '=', id).execute();
          return getIn(tx, orgId, id);
        }),
      );
    },

    async remove(orgId, id, expected) {
      await changed(
        db.transaction().execute(async (tx) => {
          await claimVersion(tx, 'stories', { orgId, id }, expected, storyNotFound);
          await tx.deleteFrom('stories').where('org_id', '=', orgId).where('id', '=', id).execute();
        }),
      );
    },

    async duplicate(orgId, id, input) {
      const source = await getIn(db, orgId, id);
      const title = input.title ?? `${source.title} (copy)`.slice(0, 200);
      const slug = input.slug ?? (await freeSlug(orgId, `${source.slug}-copy`));
      const definition = { ...draftToDefinition(await readDraft(db, source), 'draft'), slug, title };
      const draft = checkDraft(definitionToDraft(definition, randomId('s')));
      return changed(insertStory(orgId, draft, source.collection_id));
    },

    async publish(orgId, id, actor, expected) {
      return changed(
        db.transaction().execute(async (tx) => {
          const story = await claim(tx, orgId, id, expected);
          const draft = checkDraft(await readDraft(tx, story));
          const { version, created } = await publishDraft(tx, draft, actor);
          return { story: await getIn(tx, orgId, id), version, created };
        }),
      );
    },

    async unpublish(orgId, id, expected) {
      return changed(
        db.transaction().execute(async (tx) => {
          await claim(tx, orgId, id, expected);
          await tx.updateTable('stories').set({ status: 'draft', published_version: null, published_at: null, published_by: null }).where('id', '=', id).execute();
          return getIn(tx, orgId, id);
        }),
      );
    },

    async versions(orgId, id) {
      await getIn(db, orgId, id);
      const rows = await db.selectFrom('story_versions').select(['version', 'published_at', 'published_by']).where('story_id', '=', id).orderBy('version', 'desc').execute();
      return rows.map((r) => ({ version: r.version, publishedAt: r.published_at, publishedBy: r.published_by }));
    },

    async version(orgId, id, version) {
      await getIn(db, orgId, id);
      const row = await db.selectFrom('story_versions').select('definition').where('story_id', '=', id).where('version', '=', version).executeTakeFirst();
      if (!row) throw new InsightError('ERR_NOT_FOUND', 'The story has no such version');
      return snapshotToDraft(row.definition);
    },

    async edit(orgId, id, apply, expected) {
      return changed(
        db.transaction().execute(async (tx) => {
          const story = await claim(tx, orgId, id, expected);
          const edit = apply(await readDraft(tx, story));
          const draft = checkDraft(edit.draft, { ...(edit.focus ? { focus: edit.focus } : {}), ...(edit.code ? { code: edit.code } : {}) });
          await writeDraft(tx, draft);
          return { draft, edit, version: story.version };
        }),
      );
    },

    checkCollection,
  };
}
