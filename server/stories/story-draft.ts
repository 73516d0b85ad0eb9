/**
 * The working copy of a story as authors edit it: the story definition of
 * stories as code, with the id of every page, card and filter. Every edit
 * reads the draft, changes it in memory, checks the whole story against
 * `storyDefinitionSchema` and writes it back, so a draft is always a story
 * that could be exported, imported and published. Ids survive every edit:
 * embeds address cards by id.
 *
 * The same shape, frozen, is what `story_versions` keeps for viewers.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ChartShorthand, DrillTarget, FilterType, StoryPage } from '@insight-engine/sdk/protocol';
import { InsightError } from '../errors/insight-error.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import {
  storyDefinitionSchema,
  type CardDefinition,
  type FilterDefinition,
  type PageDefinition,
  type StoryDefinition,
} from './story-definition.ts';
import type { CardModel, StoryModel } from './story-repository.ts';

export type DraftCard = CardDefinition & { id: string };
export type DraftPage = Omit<PageDefinition, 'cards'> & { id: string; cards: DraftCard[] };
export type DraftFilter = FilterDefinition & { id: string };

export interface DraftStory {
  id: string;
  slug: string;
  title: string;
  description?: string | undefined;
  filters: DraftFilter[];
  pages: DraftPage[];
}

type Db = Kysely<StoreSchema> | Transaction<StoreSchema>;

/** Ids derived from the story and a key, so the first import of a file always gives the same ids. */
export const stableId = (prefix: string, ...parts: string[]) => `${prefix}_${createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 20)}`;
export const randomId = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

const orUndefined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** Drops the members that are undefined, so two equal drafts serialise alike. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function cardDefinition(card: CardDefinition): CardDefinition {
  return defined({
    key: card.key,
    type: card.type,
    title: card.title,
    description: orUndefined(card.description),
    query: orUndefined(card.query),
    visualization: orUndefined(card.visualization),
    options: card.options ?? {},
    drill: orUndefined(card.drill),
  });
}

function filterDefinition(filter: FilterDefinition): FilterDefinition {
  return defined({
    name: filter.name,
    label: filter.label,
    type: filter.type,
    dataset: filter.dataset,
    column: filter.column,
    default: orUndefined(filter.default),
    options: filter.options ?? {},
  });
}

/** The stories-as-code form of a draft: what export writes and the schema checks. */
export function draftToDefinition(draft: DraftStory, status: StoryDefinition['status']): StoryDefinition {
  return defined({
    slug: draft.slug,
    title: draft.title,
    description: orUndefined(draft.description),
    status,
    filters: draft.filters.map(filterDefinition),
    pages: draft.pages.map((page) =>
      defined({
        key: page.key,
        title: page.title,
        narrative: orUndefined(page.narrative),
        layout: page.layout,
        cards: page.cards.map(cardDefinition),
      }),
    ),
  });
}

/** A snapshot as stored (also written by the 005 migration, where absent members are nulls). */
export function snapshotToDraft(snapshot: unknown): DraftStory {
  const s = snapshot as DraftStory;
  return defined({
    id: s.id,
    slug: s.slug,
    title: s.title,
    description: orUndefined(s.description),
    filters: (s.filters ?? []).map((f) => ({ id: f.id, ...filterDefinition(f) })),
    pages: (s.pages ?? []).map((p) => ({
      ...defined({ id: p.id, key: p.key, title: p.title, narrative: orUndefined(p.narrative), layout: p.layout }),
      cards: (p.cards ?? []).map((c) => ({ id: c.id, ...cardDefinition(c) })),
    })),
  });
}

/** The frozen form kept in `story_versions`. */
export function draftToSnapshot(draft: DraftStory): DraftStory {
  const def = draftToDefinition(draft, 'published');
  return defined({
    id: draft.id,
    slug: def.slug,
    title: def.title,
    description: def.description,
    filters: def.filters.map((f, i) => ({ id: (draft.filters[i] as DraftFilter).id, ...f })),
    pages: def.pages.map((p, i) => {
      const page = draft.pages[i] as DraftPage;
      return { id: page.id, ...p, cards: p.cards.map((c, j) => ({ id: (page.cards[j] as DraftCard).id, ...c })) };
    }),
  });
}

export interface DraftIssue {
  path: string;
  message: string;
}

/**
 * Checks a whole draft against the stories-as-code schema and returns it with
 * the schema's defaults filled in. Problems under `focus` (the page or card
 * the request changed) are reported relative to it, so they name the members
 * of the request body; the others keep their path in the story.
 */
export function checkDraft(draft: DraftStory, options: { focus?: Array<string | number>; code?: 'ERR_VALIDATION' | 'ERR_CONFLICT' } = {}): DraftStory {
  const parsed = storyDefinitionSchema.safeParse(draftToDefinition(draft, 'draft'));
  if (!parsed.success) {
    const focus = options.focus ?? [];
    const errors: DraftIssue[] = parsed.error.issues.map((issue) => {
      const inFocus = focus.length > 0 && focus.every((part, i) => issue.path[i] === part);
      const path = inFocus ? issue.path.slice(focus.length) : issue.path;
      return { path: path.map(String).join('.'), message: issue.message };
    });
    const detail = options.code === 'ERR_CONFLICT' ? 'The change would leave the story inconsistent' : 'The story is not valid after this change';
    throw new InsightError(options.code ?? 'ERR_VALIDATION', detail, { errors });
  }
  const def = parsed.data;
  return {
    id: draft.id,
    slug: def.slug,
    title: def.title,
    ...(def.description !== undefined ? { description: def.description } : {}),
    filters: def.filters.map((f, i) => ({ id: (draft.filters[i] as DraftFilter).id, ...f })),
    pages: def.pages.map((p, i) => {
      const page = draft.pages[i] as DraftPage;
      return { id: page.id, ...p, cards: p.cards.map((c, j) => ({ id: (page.cards[j] as DraftCard).id, ...c })) };
    }),
  };
}

/**
 * A draft from a definition. Pages, cards and filters that `previous` already
 * has under the same key keep their ids (so open embeds keep working across
 * re-imports); new ones get ids derived from the story and their key.
 */
export function definitionToDraft(def: StoryDefinition, storyId: string, previous?: DraftStory): DraftStory {
  const pageIds = new Map(previous?.pages.map((p) => [p.key, p.id]));
  const cardIds = new Map(previous?.pages.flatMap((p) => p.cards.map((c) => [c.key, c.id] as const)));
  const filterIds = new Map(previous?.filters.map((f) => [f.name, f.id]));
  const taken = new Set([...pageIds.values(), ...cardIds.values(), ...filterIds.values()]);
  const idFor = (known: Map<string, string>, prefix: string, keyName: string) => {
    const reused = known.get(keyName);
    if (reused) return reused;
    // A key renamed in the editor keeps its old id, which a new card of that old key must not reuse.
    const derived = stableId(prefix, storyId, keyName);
    const id = taken.has(derived) ? randomId(prefix) : derived;
    taken.add(id);
    return id;
  };
  return {
    id: storyId,
    slug: def.slug,
    title: def.title,
    ...(def.description !== undefined ? { description: def.description } : {}),
    filters: def.filters.map((f) => ({ id: idFor(filterIds, 'f', f.name), ...f })),
    pages: def.pages.map((p) => ({ id: idFor(pageIds, 'p', p.key), ...p, cards: p.cards.map((c) => ({ id: idFor(cardIds, 'c', c.key), ...c })) })),
  };
}

/** The draft of a story as the pages, cards and filters tables hold it. */
export async function readDraft(db: Db, story: { id: string; slug: string; title: string; description: string | null }): Promise<DraftStory> {
  const [pages, cards, filters] = await Promise.all([
    db.selectFrom('pages').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
    db.selectFrom('cards').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
    db.selectFrom('filters').selectAll().where('story_id', '=', story.id).orderBy('position').execute(),
  ]);
  return snapshotToDraft({
    id: story.id,
    slug: story.slug,
    title: story.title,
    description: story.description,
    filters: filters.map((f) => ({
      id: f.id,
      name: f.key,
      label: f.label,
      type: f.type,
      dataset: f.dataset_name,
      column: f.column_name,
      default: f.default_value,
      options: f.options,
    })),
    pages: pages.map((p) => ({
      id: p.id,
      key: p.key,
      title: p.title,
      narrative: p.narrative,
      layout: p.layout,
      cards: cards
        .filter((c) => c.page_id === p.id)
        .map((c) => ({
          id: c.id,
          key: c.key,
          type: c.type,
          title: c.title,
          description: c.description,
          query: c.query,
          visualization: c.visualization,
          options: c.options,
          drill: c.drill,
        })),
    })),
  });
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/** Replaces the stored draft with this one (ids kept), and the story's title and description. */
export async function writeDraft(tx: Transaction<StoreSchema>, draft: DraftStory): Promise<void> {
  const storyId = draft.id;
  await tx
    .updateTable('stories')
    .set({ title: draft.title, description: draft.description ?? null, updated_at: new Date() })
    .where('id', '=', storyId)
    .execute();
  await tx.deleteFrom('filters').where('story_id', '=', storyId).execute();
  await tx.deleteFrom('cards').where('story_id', '=', storyId).execute();
  await tx.deleteFrom('pages').where('story_id', '=', storyId).execute();
  if (draft.pages.length > 0) {
    await tx
      .insertInto('pages')
      .values(draft.pages.map((p, position) => ({ id: p.id, story_id: storyId, key: p.key, position, title: p.title, narrative: p.narrative ?? null, layout: p.layout })))
      .execute();
  }
  const cards = draft.pages.flatMap((p) =>
    p.cards.map((c, position) => ({
      id: c.id,
      story_id: storyId,
      page_id: p.id,
      key: c.key,
      position,
      type: c.type,
      title: c.title,
      description: c.description ?? null,
      query: json(c.query),
      visualization: json(c.visualization),
      options: JSON.stringify(c.options ?? {}),
      drill: json(c.drill),
    })),
  );
  if (cards.length > 0) await tx.insertInto('cards').values(cards).execute();
  if (draft.filters.length > 0) {
    await tx
      .insertInto('filters')
      .values(
        draft.filters.map((f, position) => ({
          id: f.id,
          story_id: storyId,
          key: f.name,
          position,
          label: f.label,
          type: f.type,
          column_name: f.column,
          dataset_name: f.dataset,
          default_value: json(f.default),
          options: JSON.stringify(f.options ?? {}),
        })),
      )
      .execute();
  }
}

/** Sorted keys: two drafts are the same story when this matches, whatever order jsonb kept members in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/**
 * Makes the draft what viewers see. Publishing a draft equal to the latest
 * version reuses that version number instead of adding an identical one.
 */
export async function publishDraft(tx: Transaction<StoreSchema>, draft: DraftStory, actor: string | null): Promise<{ version: number; created: boolean }> {
  const snapshot = draftToSnapshot(draft);
  const latest = await tx
    .selectFrom('story_versions')
    .select(['version', 'definition'])
    .where('story_id', '=', draft.id)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  let version: number;
  let created = false;
  if (latest && canonicalJson(snapshotToDraft(latest.definition)) === canonicalJson(snapshot)) {
    version = latest.version;
  } else {
    version = (latest?.version ?? 0) + 1;
    created = true;
    await tx.insertInto('story_versions').values({ story_id: draft.id, version, definition: JSON.stringify(snapshot), published_by: actor }).execute();
  }
  const current = await tx.selectFrom('stories').select(['status', 'published_version', 'published_at', 'updated_at']).where('id', '=', draft.id).executeTakeFirstOrThrow();
  const editedSince = current.published_at === null || current.updated_at > current.published_at;
  if (created || editedSince || current.status !== 'published' || current.published_version !== version) {
    await tx
      .updateTable('stories')
      .set({ status: 'published', published_version: version, published_at: new Date(), published_by: actor })
      .where('id', '=', draft.id)
      .execute();
  }
  return { version, created };
}

/** The model the embed API serves, from a draft or a published snapshot. */
export function draftToModel(draft: DraftStory, meta: { orgId: string; status: StoryModel['status'] }): StoryModel {
  const pages = draft.pages.map((p) => ({
    id: p.id,
    key: p.key,
    title: p.title,
    narrative: p.narrative ?? null,
    layout: p.layout as StoryPage['layout'],
    cards: p.cards.map(
      (c): CardModel => ({
        id: c.id,
        key: c.key,
        pageId: p.id,
        type: c.type,
        title: c.title,
        description: c.description ?? null,
        visualization: (c.visualization as ChartShorthand | undefined) ?? null,
        options: c.options ?? {},
        query: (c.query as StructuredQuery | undefined) ?? null,
        drill: (c.drill as DrillTarget | undefined) ?? null,
      }),
    ),
  }));
  return {
    id: draft.id,
    orgId: meta.orgId,
    slug: draft.slug,
    title: draft.title,
    description: draft.description ?? null,
    status: meta.status,
    pages,
    filters: draft.filters.map((f) => ({
      id: f.id,
      name: f.name,
      label: f.label,
      type: f.type as FilterType,
      dataset: f.dataset,
      column: f.column,
      defaultValue: f.default ?? null,
      options: f.options ?? {},
    })),
    cardsById: new Map(pages.flatMap((p) => p.cards.map((c) => [c.id, c] as const))),
  };
}
