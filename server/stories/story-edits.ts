/**
 * The edits the authoring API makes to a draft, as pure functions: each takes
 * a draft and a request body and returns the changed draft, the id it acted
 * on and where in the story the request body sits (so the whole-story check
 * can report problems by the body's own member names). Nothing here touches
 * the store; `StoryAuthoring.edit` reads, checks and writes around them.
 */
import { InsightError } from '../errors/insight-error.ts';
import { validationError } from '../routes/json-body.ts';
import { cardDefinitionSchema, filterDefinitionSchema } from './story-definition.ts';
import { randomId, type DraftCard, type DraftFilter, type DraftPage, type DraftStory } from './story-draft.ts';
import { emptyRecord } from '../schema/own-record.ts';

export interface DraftEdit {
  draft: DraftStory;
  /** The page, card or filter created or changed. */
  id?: string;
  /** Path of the changed part in the story definition. */
  focus?: Array<string | number>;
  /** ERR_CONFLICT for removals that would break the story (its last page, a drill target). */
  code?: 'ERR_VALIDATION' | 'ERR_CONFLICT';
}

/** A key from a title: lower-case letters, digits and dashes, unique among `taken`. */
export function keyFromTitle(title: unknown, fallback: string, taken: ReadonlySet<string>): string {
  const base =
    (typeof title === 'string' ? title : '')
      .normalize('NFKD')
      // Accents fall away rather than split a word: "Région" → "region".
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50)
      .replace(/-+$/, '') || fallback;
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

const cardKeys = (draft: DraftStory) => new Set(draft.pages.flatMap((p) => p.cards.map((c) => c.key)));

function insertAt<T>(list: readonly T[], item: T, position: number | undefined): T[] {
  const at = position === undefined ? list.length : Math.min(Math.max(position, 0), list.length);
  return [...list.slice(0, at), item, ...list.slice(at)];
}

/** Members set to null are removed, so a PATCH can clear an optional member. */
function merge(current: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.assign(emptyRecord<unknown>(), current);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out;
}

function findPage(draft: DraftStory, pageId: string): { page: DraftPage; index: number } {
  const index = draft.pages.findIndex((p) => p.id === pageId);
  if (index < 0) throw new InsightError('ERR_NOT_FOUND', 'The story has no such page');
  return { page: draft.pages[index] as DraftPage, index };
}

function findCard(draft: DraftStory, cardId: string): { card: DraftCard; page: number; index: number } {
  for (const [p, page] of draft.pages.entries()) {
    const index = page.cards.findIndex((c) => c.id === cardId);
    if (index >= 0) return { card: page.cards[index] as DraftCard, page: p, index };
  }
  throw new InsightError('ERR_CARD_NOT_FOUND');
}

function findFilter(draft: DraftStory, filterId: string): number {
  const index = draft.filters.findIndex((f) => f.id === filterId);
  if (index < 0) throw new InsightError('ERR_FILTER_NOT_FOUND');
  return index;
}

/** Checks that `order` lists exactly the given ids, once each. */
function permutation<T extends { id: string }>(items: readonly T[], order: readonly string[]): T[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  const seen = new Set(order);
  if (order.length !== items.length || seen.size !== order.length || !order.every((id) => byId.has(id))) {
    throw new InsightError('ERR_VALIDATION', 'The order must list every id exactly once', {
      errors: [{ path: 'order', message: `expected a permutation of ${items.length} ids` }],
    });
  }
  return order.map((id) => byId.get(id) as T);
}

const withPages = (draft: DraftStory, pages: DraftPage[]): DraftStory => ({ ...draft, pages });

function replacePage(draft: DraftStory, index: number, page: DraftPage): DraftStory {
  return withPages(draft, draft.pages.map((p, i) => (i === index ? page : p)));
}

export interface PageInput {
  key?: string | undefined;
  title?: string | undefined;
  narrative?: string | null | undefined;
  layout?: string | undefined;
  position?: number | undefined;
}

export function addPage(draft: DraftStory, input: PageInput): DraftEdit {
  const key = input.key ?? keyFromTitle(input.title, 'page', new Set(draft.pages.map((p) => p.key)));
  const page = { id: randomId('p'), cards: [], ...merge({}, { key, title: input.title, narrative: input.narrative, layout: input.layout ?? 'grid' }) } as unknown as DraftPage;
  const pages = insertAt(draft.pages, page, input.position);
  return { draft: withPages(draft, pages), id: page.id, focus: ['pages', pages.indexOf(page)] };
}

export function updatePage(draft: DraftStory, pageId: string, input: Omit<PageInput, 'position'>): DraftEdit {
  const { page, index } = findPage(draft, pageId);
  const { id, cards, ...fields } = page;
  const changed = { id, cards, ...merge(fields, { key: input.key, title: input.title, narrative: input.narrative, layout: input.layout }) } as unknown as DraftPage;
  return { draft: replacePage(draft, index, changed), id, focus: ['pages', index] };
}

export function removePage(draft: DraftStory, pageId: string): DraftEdit {
  findPage(draft, pageId);
  return { draft: withPages(draft, draft.pages.filter((p) => p.id !== pageId)), code: 'ERR_CONFLICT' };
}

export function reorderPages(draft: DraftStory, order: readonly string[]): DraftEdit {
  return { draft: withPages(draft, permutation(draft.pages, order)) };
}

/** A card from a request body: validated by the stories-as-code card schema, its key made from the title when missing. */
export function addCard(draft: DraftStory, pageId: string, body: Record<string, unknown>, position?: number): DraftEdit {
  const { page, index } = findPage(draft, pageId);
  const key = body['key'] ?? keyFromTitle(body['title'], 'card', cardKeys(draft));
  const parsed = cardDefinitionSchema.safeParse({ ...body, key });
  if (!parsed.success) throw validationError(parsed.error, 'The card is not valid');
  const card: DraftCard = { id: randomId('c'), ...parsed.data };
  const cards = insertAt(page.cards, card, position);
  return { draft: replacePage(draft, index, { ...page, cards }), id: card.id, focus: ['pages', index, 'cards', cards.indexOf(card)] };
}

/** Changes a card; `pageId` moves it to another page (at `position`, else last). */
export function updateCard(draft: DraftStory, cardId: string, patch: Record<string, unknown>, move: { pageId?: string | undefined; position?: number | undefined } = {}): DraftEdit {
  const found = findCard(draft, cardId);
  const { id, ...fields } = found.card;
  const parsed = cardDefinitionSchema.safeParse(merge(fields, patch));
  if (!parsed.success) throw validationError(parsed.error, 'The card is not valid');
  const card: DraftCard = { id, ...parsed.data };
  const source = draft.pages[found.page] as DraftPage;
  const target = move.pageId === undefined ? found.page : findPage(draft, move.pageId).index;
  let pages: DraftPage[];
  if (target === found.page && move.position === undefined) {
    pages = draft.pages.map((p, i) => (i === found.page ? { ...p, cards: p.cards.map((c) => (c.id === id ? card : c)) } : p));
  } else {
    const without = draft.pages.map((p, i) => (i === found.page ? { ...p, cards: source.cards.filter((c) => c.id !== id) } : p));
    pages = without.map((p, i) => (i === target ? { ...p, cards: insertAt(p.cards, card, move.position) } : p));
  }
  const at = (pages[target] as DraftPage).cards.findIndex((c) => c.id === id);
  return { draft: withPages(draft, pages), id, focus: ['pages', target, 'cards', at] };
}

export function removeCard(draft: DraftStory, cardId: string): DraftEdit {
  const found = findCard(draft, cardId);
  const page = draft.pages[found.page] as DraftPage;
  return { draft: replacePage(draft, found.page, { ...page, cards: page.cards.filter((c) => c.id !== cardId) }) };
}

export function reorderCards(draft: DraftStory, pageId: string, order: readonly string[]): DraftEdit {
  const { page, index } = findPage(draft, pageId);
  return { draft: replacePage(draft, index, { ...page, cards: permutation(page.cards, order) }) };
}

export function addFilter(draft: DraftStory, body: Record<string, unknown>, position?: number): DraftEdit {
  const parsed = filterDefinitionSchema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error, 'The filter is not valid');
  const filter: DraftFilter = { id: randomId('f'), ...parsed.data };
  const filters = insertAt(draft.filters, filter, position);
  return { draft: { ...draft, filters }, id: filter.id, focus: ['filters', filters.indexOf(filter)] };
}

export function updateFilter(draft: DraftStory, filterId: string, patch: Record<string, unknown>, position?: number): DraftEdit {
  const index = findFilter(draft, filterId);
  const { id, ...fields } = draft.filters[index] as DraftFilter;
  const parsed = filterDefinitionSchema.safeParse(merge(fields, patch));
  if (!parsed.success) throw validationError(parsed.error, 'The filter is not valid');
  const filter: DraftFilter = { id, ...parsed.data };
  let filters = draft.filters.map((f, i) => (i === index ? filter : f));
  if (position !== undefined) filters = insertAt(filters.filter((f) => f.id !== id), filter, position);
  return { draft: { ...draft, filters }, id, focus: ['filters', filters.indexOf(filter)] };
}

export function removeFilter(draft: DraftStory, filterId: string): DraftEdit {
  findFilter(draft, filterId);
  return { draft: { ...draft, filters: draft.filters.filter((f) => f.id !== filterId) }, code: 'ERR_CONFLICT' };
}
