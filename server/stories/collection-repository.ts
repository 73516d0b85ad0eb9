/**
 * Collections: nested folders of stories, per organisation. A collection
 * that still holds collections or stories cannot be deleted (ERR_CONFLICT):
 * moving its contents is the author's decision, not a side effect.
 */
import type { Kysely } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { CollectionRow, StoreSchema } from '../store/store-schema.ts';
import { randomId } from './story-draft.ts';

export interface CollectionInput {
  name?: string | undefined;
  description?: string | null | undefined;
  /** null: at the top level. */
  parentId?: string | null | undefined;
}

export interface CollectionRepository {
  /** All of the organisation's collections by name, or the children of `parentId` (`null`: the top level). */
  list(orgId: string, options?: { parentId?: string | null }): Promise<CollectionRow[]>;
  get(orgId: string, id: string): Promise<CollectionRow>;
  create(orgId: string, input: CollectionInput & { name: string }): Promise<CollectionRow>;
  /** With `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, input: CollectionInput, expected?: ExpectedVersion): Promise<CollectionRow>;
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<void>;
  /** How many collections and stories sit directly in a collection. */
  contents(orgId: string, id: string): Promise<{ collections: number; stories: number }>;
}

const notFound = () => new InsightError('ERR_NOT_FOUND', 'The collection does not exist');

/**
 * @example
 * const collections = createCollectionRepository(store.db);
 * const finance = await collections.create(orgId, { name: 'Finance' });
 * await collections.create(orgId, { name: 'Quarterly', parentId: finance.id });
 */
export function createCollectionRepository(db: Kysely<StoreSchema>): CollectionRepository {
  async function get(orgId: string, id: string): Promise<CollectionRow> {
    const row = await db.selectFrom('collections').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  async function checkParent(orgId: string, id: string | null, parentId: string): Promise<void> {
    const parentError = (message: string) => new InsightError('ERR_VALIDATION', 'The parent collection is not valid', { errors: [{ path: 'parentId', message }] });
    // Walk up from the new parent: meeting the collection itself would make a cycle.
    let current: string | null = parentId;
    for (let depth = 0; current !== null; depth++) {
      if (current === id) throw parentError('a collection cannot sit inside itself');
      if (depth > 100) throw parentError('collections nest at most 100 deep');
      const row: { parent_id: string | null } | undefined = await db.selectFrom('collections').select('parent_id').where('org_id', '=', orgId).where('id', '=', current).executeTakeFirst();
      if (!row) throw current === parentId ? parentError('no such collection') : notFound();
      current = row.parent_id;
    }
  }

  return {
    async list(orgId, options = {}) {
      let query = db.selectFrom('collections').selectAll().where('org_id', '=', orgId);
      if (options.parentId === null) query = query.where('parent_id', 'is', null);
      else if (options.parentId !== undefined) query = query.where('parent_id', '=', options.parentId);
      return query.orderBy('name').orderBy('id').execute();
    },

    get,

    async create(orgId, input) {
      if (input.parentId) await checkParent(orgId, null, input.parentId);
      return db
        .insertInto('collections')
        .values({ id: randomId('col'), org_id: orgId, name: input.name, description: input.description ?? null, parent_id: input.parentId ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async update(orgId, id, input, expected) {
      await get(orgId, id);
      if (input.parentId) await checkParent(orgId, id, input.parentId);
      const set = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.parentId !== undefined ? { parent_id: input.parentId } : {}),
      };
      return writeVersioned(db, 'collections', { orgId, id }, expected, notFound, (tx) =>
        tx.updateTable('collections').set({ ...set, updated_at: new Date() }).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
      );
    },

    async remove(orgId, id, expected) {
      await writeVersioned(db, 'collections', { orgId, id }, expected, notFound, async (tx) => {
        const [children, stories] = await Promise.all([
          tx.selectFrom('collections').select((eb) => eb.fn.countAll<string | number>().as('n')).where('parent_id', '=', id).executeTakeFirstOrThrow(),
          tx.selectFrom('stories').select((eb) => eb.fn.countAll<string | number>().as('n')).where('collection_id', '=', id).executeTakeFirstOrThrow(),
        ]);
        if (Number(children.n) > 0 || Number(stories.n) > 0) {
          throw new InsightError('ERR_CONFLICT', 'The collection is not empty; move or delete its collections and stories first', {
            collections: Number(children.n),
            stories: Number(stories.n),
          });
        }
        await tx.deleteFrom('collections').where('id', '=', id).execute();
      });
    },

    async contents(orgId, id) {
      await get(orgId, id);
      const [children, stories] = await Promise.all([
        db.selectFrom('collections').select((eb) => eb.fn.countAll<string | number>().as('n')).where('parent_id', '=', id).executeTakeFirstOrThrow(),
        db.selectFrom('stories').select((eb) => eb.fn.countAll<string | number>().as('n')).where('org_id', '=', orgId).where('collection_id', '=', id).executeTakeFirstOrThrow(),
      ]);
      return { collections: Number(children.n), stories: Number(stories.n) };
    },
  };
}
