/**
 * Stories in the platform store: import (idempotent by slug, ids stable per
 * key so open embeds keep working across re-imports), export, and load.
 * Authors load the draft; viewers (`publishedOnly`) load the snapshot of the
 * last published version from `story_versions`, so draft edits never reach
 * them before the next publish. Loaded stories are kept in memory until a
 * write changes one: every card-data request needs its story, and the hot
 * path must not wait on the store. Every write through this module or
 * `StoryAuthoring` calls `forget()`, so a publish shows at once on this
 * instance and, through the change feed, on the others.
 */
import type { Kysely } from 'kysely';
import type { DrillTarget, FilterType, StoryCard, StoryPage } from '@insight-engine/sdk/protocol';
import { InsightError } from '../errors/insight-error.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { StoreSchema, StoryRow } from '../store/store-schema.ts';
import { createStoreMemo } from '../store/store-memo.ts';
import { storyDefinitionSchema, type StoryDefinition } from './story-definition.ts';
import {
  canonicalJson,
  definitionToDraft,
  draftToDefinition,
  draftToModel,
  publishDraft,
  randomId,
  readDraft,
  snapshotToDraft,
  writeDraft,
  type DraftStory,
} from './story-draft.ts';

export interface CardModel extends Omit<StoryCard, 'filters'> {
  pageId: string;
  query: StructuredQuery | null;
}

export interface FilterModel {
  id: string;
  name: string;
  label: string;
  type: FilterType;
  dataset: string;
  column: string;
  defaultValue: unknown;
  options: Record<string, unknown>;
}

export interface StoryModel {
  id: string;
  orgId: string;
  slug: string;
  title: string;
  description: string | null;
  status: 'draft' | 'published';
  pages: Array<Omit<StoryPage, 'cards'> & { cards: CardModel[] }>;
  filters: FilterModel[];
  cardsById: Map<string, CardModel>;
}

/** Whether a story filter applies to a card: same dataset, and the card is listed when the filter names cards. */
export function filterAppliesTo(filter: FilterModel, card: CardModel): boolean {
  if (!card.query || card.query.dataset !== filter.dataset) return false;
  const cards = filter.options['cards'];
  return !Array.isArray(cards) || cards.includes(card.key);
}

export interface ImportResult {
  id: string;
  created: boolean;
  /** False when the story already was exactly this definition: nothing was written. */
  changed: boolean;
  /** The version viewers see after the import; null for a draft. */
  publishedVersion: number | null;
}

export interface StoryRepository {
  /**
   * Stories as code: creates or replaces the story of the definition's slug.
   * Pages, cards and filters keep their ids by key; `status: "published"`
   * publishes the result, `"draft"` takes the story away from viewers.
   */
  importStory(orgId: string, definition: unknown, options?: { actor?: string | null }): Promise<ImportResult>;
  /** The definition of a story (its draft, or with `published` the version viewers see). */
  exportStory(orgId: string, id: string, options?: { published?: boolean }): Promise<StoryDefinition>;
  /** A story by id or slug; viewers pass `publishedOnly` and get the last published version. */
  load(orgId: string, idOrSlug: string, options?: { publishedOnly?: boolean }): Promise<StoryModel>;
  /** Drops the loaded stories; every write calls it so a publish shows at once on this instance. */
  forget(): void;
}

/**
 * @example
 * const stories = createStoryRepository(store.db);
 * await stories.importStory(orgId, JSON.parse(await readFile('retail-overview.story.json', 'utf8')));
 * const story = await stories.load(orgId, 'retail-overview', { publishedOnly: true });
 */
export function createStoryRepository(db: Kysely<StoreSchema>, options: { changes?: ChangeFeed } = {}): StoryRepository {
  const memo = createStoreMemo<StoryModel>();
  options.changes?.watch('stories', memo);
  const forget = () => (options.changes ? options.changes.changed('stories') : memo.forget());

  const findStory = (orgId: string, idOrSlug: string) =>
    db
      .selectFrom('stories')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .executeTakeFirst();

  async function publishedSnapshot(story: StoryRow): Promise<DraftStory> {
    if (story.status !== 'published' || story.published_version === null) throw new InsightError('ERR_STORY_NOT_FOUND');
    const version = await db
      .selectFrom('story_versions')
      .select('definition')
      .where('story_id', '=', story.id)
      .where('version', '=', story.published_version)
      .executeTakeFirst();
    if (!version) throw new InsightError('ERR_STORY_NOT_FOUND');
    return snapshotToDraft(version.definition);
  }

  async function read(orgId: string, idOrSlug: string, publishedOnly: boolean): Promise<StoryModel> {
    const story = await findStory(orgId, idOrSlug);
    if (!story) throw new InsightError('ERR_STORY_NOT_FOUND');
    // Viewers only ever see the last published version; a story never published looks like no story at all.
    if (publishedOnly) return draftToModel(await publishedSnapshot(story), { orgId, status: 'published' });
    return draftToModel(await readDraft(db, story), { orgId, status: story.status });
  }

  return {
    async importStory(orgId, input, importOptions = {}) {
      const parsed = storyDefinitionSchema.safeParse(input);
      if (!parsed.success) {
        throw new InsightError('ERR_VALIDATION', 'The story definition is not valid', {
          errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
        });
      }
      const def: StoryDefinition = parsed.data;
      const actor = importOptions.actor ?? null;
      const result = await db.transaction().execute(async (tx): Promise<ImportResult> => {
        const existing = await tx.selectFrom('stories').selectAll().where('org_id', '=', orgId).where('slug', '=', def.slug).forUpdate().executeTakeFirst();
        let changed = false;
        let draft: DraftStory;
        if (existing) {
          const previous = await readDraft(tx, existing);
          draft = definitionToDraft(def, existing.id, previous);
          if (canonicalJson(draftToDefinition(previous, 'draft')) !== canonicalJson(draftToDefinition(draft, 'draft'))) {
            await writeDraft(tx, draft);
            changed = true;
          }
        } else {
          const id = randomId('s');
          draft = definitionToDraft(def, id);
          await tx.insertInto('stories').values({ id, org_id: orgId, slug: def.slug, title: def.title, description: def.description ?? null, status: 'draft' }).execute();
          await writeDraft(tx, draft);
          changed = true;
        }
        let publishedVersion: number | null = null;
        if (def.status === 'published') {
          const published = await publishDraft(tx, draft, actor);
          publishedVersion = published.version;
          if (published.created || existing?.status !== 'published' || existing.published_version !== published.version) changed = true;
        } else if (existing?.status === 'published') {
          await tx.updateTable('stories').set({ status: 'draft', published_version: null }).where('id', '=', existing.id).execute();
          changed = true;
        }
        // Editors holding the story's ETag must see that the import changed it.
        if (existing && changed) await tx.updateTable('stories').set((eb) => ({ version: eb('version', '+', 1) })).where('id', '=', existing.id).execute();
        return { id: draft.id, created: !existing, changed, publishedVersion };
      });
      forget();
      return result;
    },

    async exportStory(orgId, id, exportOptions = {}) {
      const story = await db.selectFrom('stories').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!story) throw new InsightError('ERR_STORY_NOT_FOUND');
      if (exportOptions.published) return draftToDefinition(await publishedSnapshot(story), 'published');
      return draftToDefinition(await readDraft(db, story), story.status);
    },

    load(orgId, idOrSlug, loadOptions = {}) {
      const publishedOnly = loadOptions.publishedOnly === true;
      return memo.get(`${publishedOnly ? 'published' : 'draft'}\u0000${orgId}\u0000${idOrSlug}`, () => read(orgId, idOrSlug, publishedOnly));
    },

    forget,
  };
}
