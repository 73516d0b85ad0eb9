/**
 * Roles of an organisation: the five built-in ones (read-only, from
 * server/auth/permissions.ts) and custom ones, each a name and a list of
 * permission strings. Users and API keys store a role reference: a built-in
 * name or a custom role's id, so renaming a role changes nobody's rights.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { isBuiltInRole, knownPermissions, PERMISSIONS, ROLE_PERMISSIONS, type BuiltInRole, type Permission } from '../auth/permissions.ts';
import { InsightError } from '../errors/insight-error.ts';
import { isUniqueViolation } from '../store/is-unique-violation.ts';
import { writeVersioned, type ExpectedVersion } from '../store/resource-version.ts';
import type { RoleRow, StoreSchema } from '../store/store-schema.ts';

export interface RoleView {
  /** The built-in role's name, or the custom role's id. */
  id: string;
  name: string;
  description: string | null;
  permissions: Permission[];
  builtIn: boolean;
  /** Incremented by every change of a custom role; built-in roles never change and stay at 1. */
  version: number;
  createdAt: string | null;
  updatedAt: string | null;
}

const BUILT_IN_DESCRIPTIONS: Record<BuiltInRole, string> = {
  owner: 'Everything, including system administration',
  admin: 'Everything but system administration',
  developer: 'Connections, datasets, stories, AI, files; mints embed tokens',
  analyst: 'Queries, stories, AI and exports',
  viewer: 'Reads datasets, files and users',
};

const permissionList = z.array(z.enum(PERMISSIONS)).max(PERMISSIONS.length).transform((list) => [...new Set(list)]);
const roleName = z
  .string()
  .trim()
  .min(1)
  .max(60)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'letters, digits, space, _ . -')
  .refine((name) => !isBuiltInRole(name.toLowerCase()), 'is the name of a built-in role');

export const createRoleSchema = z.object({ name: roleName, description: z.string().max(500).nullable().optional(), permissions: permissionList }).strict();
export const updateRoleSchema = z.object({ name: roleName.optional(), description: z.string().max(500).nullable().optional(), permissions: permissionList.optional() }).strict();

export interface ResolvedRole {
  /** What to store in a user's or API key's `role`. */
  ref: string;
  permissions: ReadonlySet<Permission>;
}

export interface RoleRepository {
  list(orgId: string): Promise<RoleView[]>;
  get(orgId: string, id: string): Promise<RoleView>;
  /** A role named by a client (built-in name, custom id or custom name); ERR_VALIDATION when the organisation has none such. */
  resolve(orgId: string, nameOrId: string): Promise<ResolvedRole>;
  /** The permissions a stored role reference grants now; nothing for a deleted role. */
  permissionsOf(orgId: string, ref: string): Promise<ReadonlySet<Permission>>;
  create(orgId: string, input: z.infer<typeof createRoleSchema>): Promise<RoleView>;
  /** With `expected`, only over that version (ERR_VERSION_CONFLICT otherwise). */
  update(orgId: string, id: string, input: z.infer<typeof updateRoleSchema>, expected?: ExpectedVersion): Promise<RoleView>;
  remove(orgId: string, id: string, expected?: ExpectedVersion): Promise<void>;
}

function builtInView(name: BuiltInRole): RoleView {
  return { id: name, name, description: BUILT_IN_DESCRIPTIONS[name], permissions: [...ROLE_PERMISSIONS[name]], builtIn: true, version: 1, createdAt: null, updatedAt: null };
}

function customView(row: RoleRow): RoleView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    permissions: [...knownPermissions(row.permissions)],
    builtIn: false,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const notFound = () => new InsightError('ERR_NOT_FOUND', 'Role not found');

const BUILT_IN_ORDER: BuiltInRole[] = ['owner', 'admin', 'developer', 'analyst', 'viewer'];

export function createRoleRepository(db: Kysely<StoreSchema>): RoleRepository {
  async function row(orgId: string, id: string): Promise<RoleRow | undefined> {
    return db.selectFrom('roles').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  function conflict(error: unknown): never {
    if (isUniqueViolation(error)) throw new InsightError('ERR_CONFLICT', 'A role with this name already exists');
    throw error;
  }

  return {
    async list(orgId) {
      const rows = await db.selectFrom('roles').selectAll().where('org_id', '=', orgId).orderBy('name').execute();
      return [...BUILT_IN_ORDER.map(builtInView), ...rows.map(customView)];
    },

    async get(orgId, id) {
      if (isBuiltInRole(id)) return builtInView(id);
      const found = await row(orgId, id);
      if (!found) throw notFound();
      return customView(found);
    },

    async resolve(orgId, nameOrId) {
      if (isBuiltInRole(nameOrId)) return { ref: nameOrId, permissions: ROLE_PERMISSIONS[nameOrId] };
      const found = await db
        .selectFrom('roles')
        .selectAll()
        .where('org_id', '=', orgId)
        .where((eb) => eb.or([eb('id', '=', nameOrId), eb('name', '=', nameOrId)]))
        .executeTakeFirst();
      if (!found) throw new InsightError('ERR_VALIDATION', 'The role is not a built-in role or a role of this organisation', { errors: [{ path: 'role', message: 'unknown role' }] });
      return { ref: found.id, permissions: knownPermissions(found.permissions) };
    },

    async permissionsOf(orgId, ref) {
      if (isBuiltInRole(ref)) return ROLE_PERMISSIONS[ref];
      const found = await row(orgId, ref);
      return found ? knownPermissions(found.permissions) : new Set();
    },

    async create(orgId, input) {
      const id = `role_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
      try {
        const created = await db
          .insertInto('roles')
          .values({ id, org_id: orgId, name: input.name, description: input.description ?? null, permissions: JSON.stringify(input.permissions) })
          .returningAll()
          .executeTakeFirstOrThrow();
        return customView(created);
      } catch (error) {
        conflict(error);
      }
    },

    async update(orgId, id, input, expected) {
      if (isBuiltInRole(id)) throw new InsightError('ERR_FORBIDDEN', 'Built-in roles cannot be changed');
      try {
        const set = {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.permissions !== undefined ? { permissions: JSON.stringify(input.permissions) } : {}),
          updated_at: new Date(),
        };
        const updated = await writeVersioned(db, 'roles', { orgId, id }, expected, notFound, (tx) =>
          tx.updateTable('roles').set(set).where('org_id', '=', orgId).where('id', '=', id).returningAll().executeTakeFirstOrThrow(),
        );
        return customView(updated);
      } catch (error) {
        conflict(error);
      }
    },

    async remove(orgId, id, expected) {
      if (isBuiltInRole(id)) throw new InsightError('ERR_FORBIDDEN', 'Built-in roles cannot be deleted');
      await writeVersioned(db, 'roles', { orgId, id }, expected, notFound, async (tx) => {
        const users = await tx.selectFrom('users').select('id').where('org_id', '=', orgId).where('role', '=', id).limit(1).execute();
        const keys = await tx.selectFrom('api_keys').select('id').where('org_id', '=', orgId).where('role', '=', id).where('revoked_at', 'is', null).limit(1).execute();
        if (users.length > 0 || keys.length > 0) throw new InsightError('ERR_CONFLICT', 'The role is still held by a user or an active API key');
        await tx.deleteFrom('roles').where('org_id', '=', orgId).where('id', '=', id).execute();
      });
    },
  };
}
