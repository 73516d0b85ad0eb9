/**
 * Stories in the platform store: import (idempotent by slug, ids stable per
 * key so open embeds keep working across re-imports) and load. Loaded stories
 * are kept in memory briefly: every card-data request needs its story, and
 * the hot path must not wait on the store.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ChartShorthand, DrillTarget, FilterType, StoryCard, StoryPage } from '../../sdk/protocol.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import { storyDefinitionSchema, type StoryDefinition } from './story-definition.ts';

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

const stableId = (prefix: string, ...parts: string[]) => `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 20)}`;

/** Whether a story filter applies to a card: same dataset, and the card is listed when the filter names cards. */
export function filterAppliesTo(filter: FilterModel, card: CardModel): boolean {
  if (!card.query || card.query.dataset !== filter.dataset) return false;
  const cards = filter.options['cards'];
  return !Array.isArray(cards) || cards.includes(card.key);
}

export interface StoryRepository {
  importStory(orgId: string, definition: unknown): Promise<{ id: string; created: boolean }>;
  /** A story by id or slug; viewers pass `publishedOnly`. */
  load(orgId: string, idOrSlug: string, options?: { publishedOnly?: boolean }): Promise<StoryModel>;
  forget(): void;
}

export function createStoryRepository(db: Kysely<StoreSchema>, options: { ttlMs?: number } = {}): StoryRepository {
  const ttlMs = options.ttlMs ?? 10_000;
  const cache = new Map<string, { at: number; story: Promise<StoryModel> }>();

  async function read(orgId: string, idOrSlug: string): Promise<StoryModel> {
    const story = await db
      .selectFrom('stories')
      .selectAll()
      .where('org_id', '=', orgId)
      .where((eb) => eb.or([eb('id', '=', idOrSlug), eb('slug', '=', idOrSlug)]))
      .executeTakeFirst();
    if (!story) throw new InsightError('ERR_STORY_NOT_FOUND');
    const [pages, cards, filters] = await Promise.all([
      db.selectFrom('pages').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
      db.selectFrom('cards').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
      db.selectFrom('filters').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
    ]);
    const cardModels: CardModel[] = cards.map((c) => ({
      id: c.id,
      key: c.key,
      pageId: c.page_id,
      type: c.type as CardModel['type'],
      title: c.title,
      description: c.description,
      visualization: (c.visualization as ChartShorthand | null) ?? null,
      options: c.options,
      query: (c.query as StructuredQuery | null) ?? null,
      drill: (c.drill as DrillTarget | null) ?? null,
    }));
    return {
      id: story.id,
      orgId: story.org_id,
      slug: story.slug,
      title: story.title,
      description: story.description,
      status: story.status,
      pages: pages.map((p) => ({
        id: p.id,
        key: p.key,
        title: p.title,
        narrative: p.narrative,
        layout: p.layout as StoryPage['layout'],
        cards: cardModels.filter((c) => c.pageId === p.id),
      })),
      filters: filters.map((f) => ({
        id: f.id,
        name: f.key,
        label: f.label,
        type: f.type as FilterType,
        dataset: f.dataset_name,
        column: f.column_name,
        defaultValue: f.default_value ?? null,
        options: f.options,
      })),
      cardsById: new Map(cardModels.map((c) => [c.id, c])),
    };
  }

  return {
    async importStory(orgId, input) {
      const parsed = storyDefinitionSchema.safeParse(input);
      if (!parsed.success) {
        throw new InsightError('ERR_VALIDATION', 'The story definition is not valid', {
          errors: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      const def: StoryDefinition = parsed.data;
      const result = await db.transaction().execute(async (tx) => {
        const existing = await tx.selectFrom('stories').select('id').where('org_id', '=', orgId).where('slug', '=', def.slug).executeTakeFirst();
        const storyId = existing?.id ?? `s_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
        if (existing) {
          await tx
            .updateTable('stories')
            .set({ title: def.title, description: def.description ?? null, status: def.status, updated_at: new Date() })
            .where('id', '=', storyId)
            .execute();
          // Children are replaced wholesale; their ids derive from the story id and keys, so they come back the same.
          await tx.deleteFrom('filters').where('story_id', '=', storyId).execute();
          await tx.deleteFrom('cards').where('story_id', '=', storyId).execute();
          await tx.deleteFrom('pages').where('story_id', '=', storyId).execute();
        } else {
          await tx
            .insertInto('stories')
            .values({ id: storyId, org_id: orgId, slug: def.slug, title: def.title, description: def.description ?? null, status: def.status })
            .execute();
        }
        for (const [position, page] of def.pages.entries()) {
          const pageId = stableId('p', storyId, page.key);
          await tx
            .insertInto('pages')
            .values({ id: pageId, story_id: storyId, key: page.key, position, title: page.title, narrative: page.narrative ?? null, layout: page.layout })
            .execute();
          if (page.cards.length > 0) {
            await tx
              .insertInto('cards')
              .values(
                page.cards.map((card, cardPosition) => ({
                  id: stableId('c', storyId, card.key),
                  story_id: storyId,
                  page_id: pageId,
                  key: card.key,
                  position: cardPosition,
                  type: card.type,
                  title: card.title,
                  description: card.description ?? null,
                  query: card.query ? JSON.stringify(card.query) : null,
                  visualization: card.visualization ? JSON.stringify(card.visualization) : null,
                  options: JSON.stringify(card.options),
                  drill: card.drill ? JSON.stringify(card.drill) : null,
                })),
              )
              .execute();
          }
        }
        if (def.filters.length > 0) {
          await tx
            .insertInto('filters')
            .values(
              def.filters.map((filter, position) => ({
                id: stableId('f', storyId, filter.name),
                story_id: storyId,
                key: filter.name,
                position,
                label: filter.label,
                type: filter.type,
                column_name: filter.column,
                dataset_name: filter.dataset,
                default_value: filter.default === undefined ? null : JSON.stringify(filter.default),
                options: JSON.stringify(filter.options),
              })),
            )
            .execute();
        }
        return { id: storyId, created: !existing };
      });
      cache.clear();
      return result;
    },

    load(orgId, idOrSlug, loadOptions = {}) {
      const cacheKey = `${orgId}\u0000${idOrSlug}`;
      const hit = cache.get(cacheKey);
      let story: Promise<StoryModel>;
      if (hit && Date.now() - hit.at < ttlMs) {
        story = hit.story;
      } else {
        story = read(orgId, idOrSlug);
        cache.set(cacheKey, { at: Date.now(), story });
        story.catch(() => cache.delete(cacheKey));
      }
      if (!loadOptions.publishedOnly) return story;
      return story.then((s) => {
        // Viewers only ever see published stories; a draft looks like no story at all.
        if (s.status !== 'published') throw new InsightError('ERR_STORY_NOT_FOUND');
        return s;
      });
    },

    forget() {
      cache.clear();
    },
  };
}
