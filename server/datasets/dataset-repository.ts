/**
 * Datasets in the platform store, read by name within an organisation and
 * kept in memory for the query hot path until a write changes one (here, or
 * on another instance through the change feed).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InsightError } from '../errors/insight-error.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { DatasetRow, StoreSchema } from '../store/store-schema.ts';
import { createStoreMemo } from '../store/store-memo.ts';

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier');

export const datasetDefinitionSchema = z
  .object({
    name,
    label: z.string().min(1).max(200),
    description: z.string().max(5000).optional(),
    connectionId: z.string().min(1),
    table: name.optional(),
    sql: z.string().min(1).max(100_000).optional(),
    columns: z
      .array(
        z.object({
          name,
          label: z.string().max(200).optional(),
          description: z.string().max(2000).optional(),
          type: z.enum(['number', 'string', 'date', 'datetime', 'boolean']),
          role: z.enum(['dimension', 'measure', 'time']),
          synonyms: z.array(z.string().max(100)).max(50).optional(),
          format: z.string().max(100).optional(),
        }),
      )
      .min(1)
      .max(500),
    rowPolicy: z.string().max(5000).optional(),
    cacheTtlSeconds: z.number().int().min(0).max(86_400).optional(),
  })
  .refine((d) => (d.table === undefined) !== (d.sql === undefined), { message: 'a dataset has either a table or a sql', path: ['table'] });

export type DatasetDefinition = z.infer<typeof datasetDefinitionSchema>;

export interface DatasetRepository {
  getByName(orgId: string, name: string): Promise<DatasetRow>;
  /** Creates or replaces a dataset by name; bumps its version so cached results and prompts renew. */
  upsert(orgId: string, definition: DatasetDefinition): Promise<DatasetRow>;
  list(orgId: string): Promise<DatasetRow[]>;
  /** Throws ERR_DATASET_NOT_FOUND for an id of another organisation too. */
  getById(orgId: string, id: string): Promise<DatasetRow>;
  /** Throws ERR_CONFLICT when the organisation already has a dataset of that name. */
  create(orgId: string, definition: DatasetDefinition): Promise<DatasetRow>;
  /** Replaces the definition and bumps the version; with `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, definition: DatasetDefinition, expected?: ExpectedVersion): Promise<DatasetRow>;
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<DatasetRow>;
  forget(): void;
}

function columnsOf(d: DatasetDefinition) {
  return {
    connection_id: d.connectionId,
    label: d.label,
    description: d.description ?? null,
    source_table: d.table ?? null,
    source_sql: d.sql ?? null,
    columns: JSON.stringify(d.columns),
    row_policy: d.rowPolicy ?? null,
    cache_ttl_seconds: d.cacheTtlSeconds ?? null,
  };
}

const notFound = () => new InsightError('ERR_DATASET_NOT_FOUND');

const newDatasetId = () => `d_${randomUUID().replace(/-/g, '').slice(0, 20)}`;

function conflictOr(error: unknown, name: string): unknown {
  return isUniqueViolation(error) ? new InsightError('ERR_CONFLICT', `A dataset named "${name}" already exists`, { name }) : error;
}

export function createDatasetRepository(db: Kysely<StoreSchema>, options: { changes?: ChangeFeed } = {}): DatasetRepository {
  const memo = createStoreMemo<DatasetRow>();
  options.changes?.watch('datasets', memo);
  const forget = () => (options.changes ? options.changes.changed('datasets') : memo.forget());

  return {
    getByName(orgId, datasetName) {
      return memo.get(`${orgId}\u0000${datasetName}`, () =>
        db
          .selectFrom('datasets')
          .selectAll()
          .where('org_id', '=', orgId)
          .where('name', '=', datasetName)
          .executeTakeFirst()
          .then((r) => {
            if (!r) throw new InsightError('ERR_DATASET_NOT_FOUND', `No dataset is named "${datasetName}"`);
            return r;
          }),
      );
    },

    async upsert(orgId, input) {
      const d = datasetDefinitionSchema.parse(input);
      const values = columnsOf(d);
      const row = await db
        .insertInto('datasets')
        .values({ id: newDatasetId(), org_id: orgId, name: d.name, ...values })
        .onConflict((oc) => oc.columns(['org_id', 'name']).doUpdateSet((eb) => ({ ...values, version: eb('datasets.version', '+', 1), updated_at: new Date() })))
        .returningAll()
        .executeTakeFirstOrThrow();
      forget();
      return row;
    },

    list(orgId) {
      return db.selectFrom('datasets').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
    },

    async getById(orgId, id) {
      const row = await db.selectFrom('datasets').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!row) throw new InsightError('ERR_DATASET_NOT_FOUND');
      return row;
    },

    async create(orgId, input) {
      const d = datasetDefinitionSchema.parse(input);
      try {
        const row = await db
          .insertInto('datasets')
          .values({ id: newDatasetId(), org_id: orgId, name: d.name, ...columnsOf(d) })
          .returningAll()
          .executeTakeFirstOrThrow();
        forget();
        return row;
      } catch (error) {
        throw conflictOr(error, d.name);
      }
    },

    async update(orgId, id, input, expected) {
      const d = datasetDefinitionSchema.parse(input);
      let row: DatasetRow;
      try {
        row = await writeVersioned(db, 'datasets', { orgId, id }, expected, notFound, (tx) =>
          tx.updateTable('datasets').set({ name: d.name, ...columnsOf(d), updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
        );
      } catch (error) {
        throw conflictOr(error, d.name);
      }
      forget();
      return row;
    },

    async remove(orgId, id, expected) {
      const row = await writeVersioned(db, 'datasets', { orgId, id }, expected, notFound, (tx) =>
        tx.deleteFrom('datasets').where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
      );
      forget();
      return row;
    },

    forget,
  };
}
