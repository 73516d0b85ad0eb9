/**
 * Stories as code: the JSON form a story is authored, exported and imported
 * in. Validated with zod so a bad file is refused with the path of each problem.
 */
import { z } from 'zod';
import { structuredQuerySchema } from '../query/structured-query.ts';
import { ownRecord } from '../schema/own-record.ts';

const key = z.string().regex(/^[a-z0-9][a-z0-9-_]{0,62}$/, 'lower-case letters, digits, - and _');
const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier');

export const chartShorthandSchema = z.object({
  chartType: z.enum(['bar', 'line', 'area', 'scatter', 'pie', 'donut', 'heatmap', 'stacked_bar']),
  x: name.optional(),
  y: name.optional(),
  color: name.optional(),
  spec: ownRecord(z.string(), z.unknown()).optional(),
});

/** A card's members, before the checks that look at several at once (`cardDefinitionSchema` adds them). */
export const cardFieldsSchema = z.object({
  key,
  type: z.enum(['chart', 'metric', 'table', 'text']),
  title: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  query: structuredQuerySchema.optional(),
  visualization: chartShorthandSchema.optional(),
  options: ownRecord(z.string(), z.unknown()).default({}),
  /** Drill-down: a click on a mark opens `page` with story filters set from the clicked datum (`field: filterName`). */
  drill: z.object({ page: key, filters: ownRecord(name, name).default({}) }).optional(),
});

/** Chart, metric and table cards need a query; text cards carry markdown. */
export function checkCard(card: { type: string; query?: unknown; options: Record<string, unknown> }, ctx: z.RefinementCtx): void {
  if (card.type !== 'text' && card.query === undefined) ctx.addIssue({ code: 'custom', message: 'chart, metric and table cards need a query', path: ['query'] });
  if (card.type === 'text' && typeof card.options['markdown'] !== 'string') {
    ctx.addIssue({ code: 'custom', message: 'text cards carry their text in options.markdown', path: ['options', 'markdown'] });
  }
}

export const cardDefinitionSchema = cardFieldsSchema.superRefine(checkCard);

export const filterDefinitionSchema = z.object({
  name,
  label: z.string().min(1).max(200),
  type: z.enum(['select', 'multi_select', 'range', 'date_range', 'search']),
  dataset: name,
  column: name,
  default: z.unknown().optional(),
  options: ownRecord(z.string(), z.unknown()).default({}),
});

export const pageDefinitionSchema = z.object({
  key,
  title: z.string().min(1).max(200),
  narrative: z.string().max(5000).optional(),
  layout: z.enum(['single', 'double', 'triple', 'grid']).default('grid'),
  cards: z.array(cardDefinitionSchema).max(50),
});

export const storyDefinitionSchema = z.object({
  slug: key,
  title: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  status: z.enum(['draft', 'published']).default('draft'),
  filters: z.array(filterDefinitionSchema).max(20).default([]),
  pages: z.array(pageDefinitionSchema).min(1).max(50),
}).superRefine((story, ctx) => {
  const cardKeys = new Set<string>();
  story.pages.forEach((page, p) =>
    page.cards.forEach((card, c) => {
      if (cardKeys.has(card.key)) ctx.addIssue({ code: 'custom', message: `card key "${card.key}" is used twice`, path: ['pages', p, 'cards', c, 'key'] });
      cardKeys.add(card.key);
    }),
  );
  const pageKeys = new Set(story.pages.map((p) => p.key));
  if (pageKeys.size !== story.pages.length) ctx.addIssue({ code: 'custom', message: 'page keys must be unique', path: ['pages'] });
  const filterNames = new Set(story.filters.map((f) => f.name));
  if (filterNames.size !== story.filters.length) ctx.addIssue({ code: 'custom', message: 'filter names must be unique', path: ['filters'] });
  // A drill target that names a missing page or filter would only fail in the viewer's browser.
  story.pages.forEach((page, p) =>
    page.cards.forEach((card, c) => {
      if (!card.drill) return;
      const at = ['pages', p, 'cards', c, 'drill'];
      if (!pageKeys.has(card.drill.page)) ctx.addIssue({ code: 'custom', message: `the story has no page "${card.drill.page}"`, path: [...at, 'page'] });
      for (const [field, filter] of Object.entries(card.drill.filters)) {
        if (!filterNames.has(filter)) ctx.addIssue({ code: 'custom', message: `the story has no filter "${filter}"`, path: [...at, 'filters', field] });
      }
    }),
  );
});

export type StoryDefinition = z.infer<typeof storyDefinitionSchema>;
export type CardDefinition = z.infer<typeof cardDefinitionSchema>;
export type FilterDefinition = z.infer<typeof filterDefinitionSchema>;
export type PageDefinition = z.infer<typeof pageDefinitionSchema>;
