/**
 * Saved queries in the platform store: a named structured query, or SQL over
 * the datasets of one connection with `{{param}}` placeholders, kept per
 * organisation. The repository stores what it is given; whether the query is
 * acceptable (dataset exists, SQL passes the guard) is `checkSavedQuery`'s
 * concern, before anything is written.
 */
import { containsPattern, decodeCursor, encodeCursor } from '../store/page-cursor.ts';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InsightError } from '../errors/insight-error.ts';
import { structuredQuerySchema } from '../query/structured-query.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { SavedQueryRow, StoreSchema } from '../store/store-schema.ts';

const common = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(5000).optional(),
  /** How long results may be served from the cache; the datasets' or the server's TTL when unset. */
  cacheTtlSeconds: z.number().int().min(0).max(86_400).optional(),
});

export const savedQueryDefinitionSchema = z.discriminatedUnion('kind', [
  common.extend({ kind: z.literal('structured'), query: structuredQuerySchema }).strict(),
  common
    .extend({
      kind: z.literal('sql'),
      connectionId: z.string().min(1).max(100),
      sql: z.string().min(1).max(100_000),
    })
    .strict(),
]);

export type SavedQueryDefinition = z.infer<typeof savedQueryDefinitionSchema>;

export interface SavedQueryListOptions {
  limit: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** Keeps the queries whose name contains this text, ignoring case. */
  search?: string | undefined;
}

export interface SavedQueryPage {
  items: SavedQueryRow[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface SavedQueryRepository {
  /** By name, page by page (keyset on the name, which is unique per organisation). */
  list(orgId: string, options: SavedQueryListOptions): Promise<SavedQueryPage>;
  /** Throws ERR_SAVED_QUERY_NOT_FOUND, also for an id of another organisation. */
  get(orgId: string, id: string): Promise<SavedQueryRow>;
  /** Throws ERR_CONFLICT when the organisation already has a saved query of that name. */
  create(orgId: string, definition: SavedQueryDefinition): Promise<SavedQueryRow>;
  /** Replaces the whole definition (the kind may change); with `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, definition: SavedQueryDefinition, expected?: ExpectedVersion): Promise<SavedQueryRow>;
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<SavedQueryRow>;
}

function columnsOf(d: SavedQueryDefinition) {
  return {
    name: d.name,
    description: d.description ?? null,
    kind: d.kind,
    query: d.kind === 'structured' ? JSON.stringify(d.query) : null,
    connection_id: d.kind === 'sql' ? d.connectionId : null,
    sql: d.kind === 'sql' ? d.sql : null,
    cache_ttl_seconds: d.cacheTtlSeconds ?? null,
  };
}

const notFound = () => new InsightError('ERR_SAVED_QUERY_NOT_FOUND');

const newSavedQueryId = () => `sq_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function conflictOr(error: unknown, name: string): unknown {
  return isUniqueViolation(error) ? new InsightError('ERR_CONFLICT', `A saved query named "${name.slice(0, 200)}" already exists`, { name }) : error;
}




/**
 * @example
 * const savedQueries = createSavedQueryRepository(store.db);
 * const row = await savedQueries.create(orgId, { name: 'Revenue by region', kind: 'sql', connectionId, sql: 'select region, sum(revenue) from sales group by region' });
 * const { items, nextCursor } = await savedQueries.list(orgId, { limit: 20, search: 'revenue' });
 */
export function createSavedQueryRepository(db: Kysely<StoreSchema>): SavedQueryRepository {
  return {
    async list(orgId, { limit, cursor, search }) {
      let query = db.selectFrom('saved_queries').selectAll().where('org_id', '=', orgId);
      if (search) query = query.where('name', 'ilike', containsPattern(search));
      if (cursor) query = query.where('name', '>', decodeCursor(cursor, 1)[0] as string);
      const rows = await query.orderBy('name').limit(limit + 1).execute();
      const items = rows.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeCursor([last.name]) : null };
    },

    async get(orgId, id) {
      const row = await db.selectFrom('saved_queries').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!row) throw new InsightError('ERR_SAVED_QUERY_NOT_FOUND');
      return row;
    },

    async create(orgId, input) {
      const d = savedQueryDefinitionSchema.parse(input);
      try {
        return await db
          .insertInto('saved_queries')
          .values({ id: newSavedQueryId(), org_id: orgId, ...columnsOf(d) })
          .returningAll()
          .executeTakeFirstOrThrow();
      } catch (error) {
        throw conflictOr(error, d.name);
      }
    },

    async update(orgId, id, input, expected) {
      const d = savedQueryDefinitionSchema.parse(input);
      try {
        return await writeVersioned(db, 'saved_queries', { orgId, id }, expected, notFound, (tx) =>
          tx.updateTable('saved_queries').set({ ...columnsOf(d), updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
        );
      } catch (error) {
        throw conflictOr(error, d.name);
      }
    },

    remove(orgId, id, expected) {
      return writeVersioned(db, 'saved_queries', { orgId, id }, expected, notFound, (tx) =>
        tx.deleteFrom('saved_queries').where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
      );
    },
  };
}
