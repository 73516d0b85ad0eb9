/**
 * Users of an organisation. Emails are unique across the platform (a login
 * names no organisation) and compared in lower case. Password hashes never
 * leave this file.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { InsightError } from '../errors/insight-error.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import { hashPassword } from './password-hash.ts';

export interface UserView {
  id: string;
  email: string;
  name: string;
  /** A built-in role name or a custom role's id. */
  role: string;
  createdAt: string;
}

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .email()
  .transform((e) => e.toLowerCase());
/** Long enough to resist guessing; bounded so hashing a megabyte is not an attack. */
export const passwordSchema = z.string().min(10, 'at least 10 characters').max(200);
export const userNameSchema = z.string().trim().min(1).max(200);

export interface UserRepository {
  list(orgId: string): Promise<UserView[]>;
  get(orgId: string, id: string): Promise<UserView>;
  /** The user with this email and their password hash, for a login. */
  findForLogin(email: string): Promise<(UserView & { orgId: string; passwordHash: string | null }) | undefined>;
  /** Without a password the user cannot log in until they accept an invitation. */
  create(orgId: string, input: { email: string; name: string; role: string; password?: string | undefined }): Promise<UserView>;
  /** Sets the password of a user who has none yet; undefined when the user is gone or already has one (the invitation is used). */
  setFirstPassword(orgId: string, id: string, password: string): Promise<UserView | undefined>;
  update(orgId: string, id: string, input: { name?: string | undefined; role?: string | undefined; password?: string | undefined }): Promise<UserView>;
  remove(orgId: string, id: string): Promise<void>;
  /** Users holding the role, to keep an organisation from losing its last owner. */
  countWithRole(orgId: string, role: string): Promise<number>;
}

type UserRow = { id: string; email: string; name: string; role: string; created_at: Date };
const view = (row: UserRow): UserView => ({ id: row.id, email: row.email, name: row.name, role: row.role, createdAt: row.created_at.toISOString() });
const COLUMNS = ['id', 'email', 'name', 'role', 'created_at'] as const;

export function createUserRepository(db: Kysely<StoreSchema>): UserRepository {
  const notFound = () => new InsightError('ERR_NOT_FOUND', 'User not found');

  return {
    async list(orgId) {
      return (await db.selectFrom('users').select(COLUMNS).where('org_id', '=', orgId).orderBy('email').execute()).map(view);
    },

    async get(orgId, id) {
      const row = await db.selectFrom('users').select(COLUMNS).where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound();
      return view(row);
    },

    async findForLogin(email) {
      const row = await db.selectFrom('users').select([...COLUMNS, 'org_id', 'password_hash']).where('email', '=', email.toLowerCase()).executeTakeFirst();
      return row ? { ...view(row), orgId: row.org_id, passwordHash: row.password_hash } : undefined;
    },

    async create(orgId, input) {
      const id = `u_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      try {
        const row = await db
          .insertInto('users')
          .values({ id, org_id: orgId, email: input.email.toLowerCase(), name: input.name, role: input.role, password_hash: input.password === undefined ? null : await hashPassword(input.password) })
          .returning(COLUMNS)
          .executeTakeFirstOrThrow();
        return view(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new InsightError('ERR_CONFLICT', 'A user with this email already exists');
        throw error;
      }
    },

    async update(orgId, id, input) {
      const row = await db
        .updateTable('users')
        .set({
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.password !== undefined ? { password_hash: await hashPassword(input.password) } : {}),
        })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .returning(COLUMNS)
        .executeTakeFirst();
      if (!row) throw notFound();
      return view(row);
    },

    async setFirstPassword(orgId, id, password) {
      // One statement: two holders of the same invitation cannot both set a password.
      return db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password) })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('password_hash', 'is', null)
        .returning(COLUMNS)
        .executeTakeFirst()
        .then((row) => (row ? view(row) : undefined));
    },

    async remove(orgId, id) {
      const result = await db.deleteFrom('users').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) throw notFound();
    },

    async countWithRole(orgId, role) {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<string>().as('n')).where('org_id', '=', orgId).where('role', '=', role).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
