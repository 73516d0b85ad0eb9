/**
 * The embed API (ARCHITECTURE.md §3): what the components, the SDK and the
 * iframe page call with an embed token. Every route resolves the token's
 * story first, so a token can only ever reach that story's cards and filters,
 * and every query carries the token's params into the row policies.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { z } from 'zod';
import type { DrillTarget, EmbedPermission, FilterValuesResponse, ResultColumn, StoryView } from '@insight-engine/sdk/protocol';
import { InsightError } from '../errors/insight-error.ts';
import { finishPayload, resultBody, type EngineResult, type QueryEngine } from '../query/query-engine.ts';
import type { StructuredQuery } from '../query/structured-query.ts';
import { cardConditions, filterToConditions, visibleFilters } from '../stories/apply-filters.ts';
import { filterAppliesTo, type CardModel, type FilterModel, type StoryModel, type StoryRepository } from '../stories/story-repository.ts';
import type { EmbedKeyRing } from '../tokens/embed-key-ring.ts';
import { verifyEmbedToken, type EmbedViewer } from '../tokens/verify-embed-token.ts';
import { embedCorsOrigin, embedOriginGuard } from '../tokens/embed-origins.ts';
import { comparisonLabel, previousPeriodQuery, sparklineOptions, sparklineQuery, type CardExtras } from './card-extras.ts';
import { EXPORT_FORMATS, exportRows } from './card-export.ts';
import { defineRoute } from './define-route.ts';
import { describeRoute } from '../ops/openapi.ts';
import type { AskService } from '../ai/ask-service.ts';
import { embedAskRoutes } from './embed-ask-routes.ts';
import { ownRecord } from '../schema/own-record.ts';

export interface EmbedRouteDeps {
  /** Questions in plain language (`/ask`); the routes are absent without it. */
  ask?: AskService;
  keys: EmbedKeyRing;
  stories: StoryRepository;
  engine: QueryEngine;
  allowedOrigins: string[];
}

type Env = { Variables: { viewer: EmbedViewer } };

export function embedAuth(keys: EmbedKeyRing): MiddlewareHandler<Env> {
  return async function embedAuthHandler(c, next) {
    const header = c.req.header('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw new InsightError('ERR_UNAUTHENTICATED', 'Send the embed token as "Authorization: Bearer <token>"');
    c.set('viewer', await verifyEmbedToken(match[1] as string, keys));
    await next();
  };
}

function requirePermission(viewer: EmbedViewer, permission: EmbedPermission): void {
  if (!viewer.permissions.includes(permission)) {
    throw new InsightError('ERR_FORBIDDEN', `The token does not grant "${permission}"`, { permission });
  }
}

const cardDataBody = z.object({ filters: ownRecord(z.string().max(100), z.unknown()).default({}) }).strict();

/** The export link's query string as the route reads it (format checked, filters parsed as a card data body's `filters`). */
const exportQuery = z.object({
  format: z.enum(EXPORT_FORMATS).default('csv'),
  filters: z.string().max(10_000).optional().describe('The filter values as a JSON object, like the card data body\'s `filters`'),
});
/** The filter values query string as the route reads it. */
const filterValuesQuery = z.object({ search: z.string().max(200).optional().describe('Only values containing this text') });

const tags = ['embed'];
describeRoute({ method: 'get', path: '/api/embed/story', summary: "The token's story: pages, cards, filters (locked params left out of the filters): StoryView", tags, auth: 'embed', embedPermission: 'view', errors: ['ERR_STORY_NOT_FOUND', 'ERR_ORIGIN_NOT_ALLOWED'] });
const cardData = defineRoute({ method: 'post', path: '/api/embed/cards/:cardId/data', summary: "A card's rows for the viewer with the given filter values: { columns, rows, rowCount, truncated, fromCache, executionMs }", tags, auth: 'embed', embedPermission: 'view', body: cardDataBody, errors: ['ERR_CARD_NOT_FOUND', 'ERR_FILTER_UNKNOWN', 'ERR_FILTER_VALUE', 'ERR_QUERY_INVALID', 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE', 'ERR_ORIGIN_NOT_ALLOWED'] });
const exportCard = defineRoute({ method: 'get', path: '/api/embed/cards/:cardId/export', summary: "A card's rows for the viewer as a CSV or Excel file (X-Insight-Row-Count, X-Insight-Truncated)", tags, auth: 'embed', embedPermission: 'export', query: exportQuery, responseType: ['text/csv', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], errors: ['ERR_CARD_NOT_FOUND', 'ERR_FILTER_UNKNOWN', 'ERR_FILTER_VALUE', 'ERR_QUERY_INVALID', 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE', 'ERR_ORIGIN_NOT_ALLOWED'] });
const filterValues = defineRoute({ method: 'get', path: '/api/embed/filters/:filterId/values', summary: 'Values of a filter column visible to the token (at most 500): { values, truncated }', tags, auth: 'embed', embedPermission: 'view', query: filterValuesQuery, errors: ['ERR_FILTER_NOT_FOUND', 'ERR_POLICY_PARAM_MISSING', 'ERR_QUERY_FAILED', 'ERR_QUERY_TIMEOUT', 'ERR_DATABASE_UNAVAILABLE', 'ERR_ORIGIN_NOT_ALLOWED'] });

/** Who the query history names for an embed viewer: the host's user, or the key when the token has no `sub`. */
function embedActor(viewer: EmbedViewer) {
  return { type: 'embed' as const, id: viewer.sub ?? viewer.keyId };
}

const CARD_DATA_HEADERS = { 'content-type': 'application/json', 'cache-control': 'private, no-store' };

/** The columns and rows of an engine result. */
function resultData(result: EngineResult): { columns: ResultColumn[]; rows: unknown[][]; truncated: boolean } {
  return JSON.parse(new TextDecoder().decode(finishPayload(result.payload, {}))) as { columns: ResultColumn[]; rows: unknown[][]; truncated: boolean };
}

/** Export links carry the viewer's filter values as JSON in `?filters=`. */
function exportFilters(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InsightError('ERR_VALIDATION', 'filters must be a JSON object of filter values');
  }
  const checked = cardDataBody.shape.filters.safeParse(parsed);
  if (!checked.success) throw new InsightError('ERR_VALIDATION', 'filters must be a JSON object of filter values');
  return checked.data;
}

/** A card may set its own result cache lifetime in `options.cacheTtlSeconds`. */
function cardCacheTtl(options: Record<string, unknown>): number | null {
  const ttl = options['cacheTtlSeconds'];
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0 && ttl <= 86_400 ? ttl : null;
}

/** A card's drill target as the viewer may use it: none without `drill`, and never onto a filter the token locks. */
function drillFor(card: CardModel, visible: FilterModel[], viewer: EmbedViewer): DrillTarget | null {
  if (!card.drill || !viewer.permissions.includes('drill')) return null;
  const names = new Set(visible.map((f) => f.name));
  const filters = Object.fromEntries(Object.entries(card.drill.filters).filter(([, filter]) => names.has(filter)));
  return { page: card.drill.page, filters };
}

export function storyView(story: StoryModel, viewer: EmbedViewer): StoryView {
  const filters = visibleFilters(story.filters, viewer.params);
  return {
    id: story.id,
    slug: story.slug,
    title: story.title,
    description: story.description,
    filters: filters.map((f) => ({
      id: f.id,
      name: f.name,
      label: f.label,
      type: f.type,
      column: f.column,
      defaultValue: (f.defaultValue ?? null) as StoryView['filters'][number]['defaultValue'],
      options: f.options,
    })),
    pages: story.pages.map((page) => ({
      id: page.id,
      key: page.key,
      title: page.title,
      narrative: page.narrative,
      layout: page.layout,
      cards: page.cards.map((card) => ({
        id: card.id,
        key: card.key,
        type: card.type,
        title: card.title,
        description: card.description,
        visualization: card.visualization,
        options: card.options,
        filters: filters.filter((f) => filterAppliesTo(f, card)).map((f) => f.name),
        drill: drillFor(card, filters, viewer),
      })),
    })),
    permissions: viewer.permissions,
    expiresAt: viewer.exp,
  };
}

export function embedRoutes(deps: EmbedRouteDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.use(
    '*',
    cors({
      // Per embed key (server/tokens/embed-origins.ts): a preflight has no token, the request is checked against its key below.
      origin: embedCorsOrigin(deps.keys, deps.allowedOrigins),
      allowHeaders: ['authorization', 'content-type'],
      allowMethods: ['GET', 'POST', 'OPTIONS'],
      maxAge: 600,
    }),
  );
  app.use('*', embedAuth(deps.keys));
  app.use('*', embedOriginGuard(deps.allowedOrigins));

  const viewerStory = (viewer: EmbedViewer) => deps.stories.load(viewer.orgId, viewer.story, { publishedOnly: true });

  app.get('/story', async (c) => {
    const viewer = c.get('viewer');
    requirePermission(viewer, 'view');
    return c.json(storyView(await viewerStory(viewer), viewer));
  });

  app.post('/cards/:cardId/data', async (c) => {
    const viewer = c.get('viewer');
    requirePermission(viewer, 'view');
    const story = await viewerStory(viewer);
    const card = story.cardsById.get(c.req.param('cardId'));
    if (!card) throw new InsightError('ERR_CARD_NOT_FOUND');
    if (!card.query) throw new InsightError('ERR_QUERY_INVALID', 'A text card has no data');
    const body = await cardData.body(c);
    const conditions = cardConditions(card, story.filters, body.filters, viewer.params);
    const query = { ...card.query, filters: [...card.query.filters, ...conditions] };
    const run = (q: StructuredQuery) =>
      deps.engine.runStructured({
        orgId: viewer.orgId,
        query: q,
        params: viewer.params,
        signal: c.req.raw.signal,
        actor: embedActor(viewer),
        cacheTtlSeconds: cardCacheTtl(card.options),
      });
    if (card.type !== 'metric') return c.body(resultBody(await run(query)), 200, CARD_DATA_HEADERS);

    const previous = card.options['compare'] === 'previous_period' ? previousPeriodQuery(query) : null;
    const sparkline = sparklineOptions(card.options, query);
    const series = sparkline ? sparklineQuery(query, sparkline) : null;
    const [result, previousResult, seriesResult] = await Promise.all([run(query), previous && run(previous.query), series && run(series)]);
    const extras: CardExtras = {};
    if (previous && previousResult) extras.comparison = { label: comparisonLabel(previous.from, previous.to), from: previous.from, to: previous.to, rows: resultData(previousResult).rows };
    if (sparkline && seriesResult) extras.series = { grain: sparkline.grain, ...resultData(seriesResult) };
    const payload = finishPayload(result.payload, { fromCache: result.fromCache, cacheAgeMs: result.cacheAgeMs, executionMs: result.executionMs, ...extras });
    return c.body(payload, 200, CARD_DATA_HEADERS);
  });

  app.get('/cards/:cardId/export', async (c) => {
    const viewer = c.get('viewer');
    requirePermission(viewer, 'export');
    const { format, filters: rawFilters } = exportCard.query(c);
    const story = await viewerStory(viewer);
    const card = story.cardsById.get(c.req.param('cardId'));
    if (!card) throw new InsightError('ERR_CARD_NOT_FOUND');
    if (!card.query) throw new InsightError('ERR_QUERY_INVALID', 'A text card has no data');
    const filters = exportFilters(rawFilters);
    const conditions = cardConditions(card, story.filters, filters, viewer.params);
    const result = await deps.engine.runStructured({
      orgId: viewer.orgId,
      query: { ...card.query, filters: [...card.query.filters, ...conditions] },
      params: viewer.params,
      signal: c.req.raw.signal,
      actor: embedActor(viewer),
      cacheTtlSeconds: cardCacheTtl(card.options),
    });
    const data = resultData(result);
    const file = await exportRows(format, card.title, data.columns, data.rows);
    return c.body(file.body as Uint8Array<ArrayBuffer>, 200, {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${file.filename}"`,
      'cache-control': 'private, no-store',
      'x-insight-row-count': String(data.rows.length),
      'x-insight-truncated': String(data.truncated),
      'access-control-expose-headers': 'content-disposition, x-insight-row-count, x-insight-truncated',
    });
  });

  app.get('/filters/:filterId/values', async (c) => {
    const viewer = c.get('viewer');
    requirePermission(viewer, 'view');
    const story = await viewerStory(viewer);
    const filter = visibleFilters(story.filters, viewer.params).find((f) => f.id === c.req.param('filterId'));
    if (!filter) throw new InsightError('ERR_FILTER_NOT_FOUND');
    const { search = '' } = filterValues.query(c);
    const limit = 500;
    const result = await deps.engine.runStructured({
      orgId: viewer.orgId,
      query: {
        dataset: filter.dataset,
        dimensions: [{ column: filter.column, as: 'value' }],
        measures: [{ agg: 'count', as: 'rows' }],
        filters: search ? filterToConditions({ ...filter, type: 'search' }, search) : [],
        sort: [{ field: 'value', direction: 'asc' }],
        limit: limit + 1,
      },
      params: viewer.params,
      signal: c.req.raw.signal,
      actor: embedActor(viewer),
    });
    const values = resultData(result).rows.map((r) => r[0]).filter((v): v is string | number => typeof v === 'string' || typeof v === 'number');
    const response: FilterValuesResponse = { values: values.slice(0, limit), truncated: values.length > limit };
    return c.json(response);
  });

  if (deps.ask) app.route('/ask', embedAskRoutes({ ask: deps.ask }));

  return app;
}
