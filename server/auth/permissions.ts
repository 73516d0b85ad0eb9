/**
 * What each built-in role may do. Routes ask for one permission string; the
 * table below is the only place that knows which built-in role grants it.
 * Custom roles (server/identity/role-repository.ts) are lists of the same
 * strings, resolved by authentication into AdminContext.permissions.
 */
import { InsightError } from '../errors/insight-error.ts';
import type { AdminContext } from './admin-auth.ts';

export const PERMISSIONS = [
  'db:connect',
  'db:query',
  'db:write',
  'db:admin',
  'datasource:read',
  'datasource:write',
  'datasource:admin',
  'file:read',
  'file:write',
  'file:delete',
  'ai:query',
  'ai:analyze',
  'ai:recommend',
  'user:read',
  'user:write',
  'user:delete',
  'role:read',
  'role:write',
  'role:delete',
  'system:config',
  'system:admin',
  'story:create',
  'story:edit',
  'story:publish',
  'story:delete',
  'share:grant',
  'export:data',
  'embed:mint',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export type BuiltInRole = 'owner' | 'admin' | 'developer' | 'analyst' | 'viewer';

const prefixed = (...prefixes: string[]) => PERMISSIONS.filter((p) => prefixes.some((prefix) => p.startsWith(prefix)));

/**
 * owner: everything. admin: everything but `system:admin`. developer: builds
 * connections, datasets and stories and mints embed tokens. analyst: queries,
 * writes stories and asks the AI. viewer: reads.
 */
export const ROLE_PERMISSIONS: Readonly<Record<BuiltInRole, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS.filter((p) => p !== 'system:admin')),
  developer: new Set<Permission>([...prefixed('db:', 'datasource:', 'story:', 'ai:', 'file:'), 'embed:mint', 'export:data', 'share:grant', 'user:read', 'role:read']),
  analyst: new Set<Permission>(['db:query', 'datasource:read', 'file:read', 'story:create', 'story:edit', 'ai:query', 'ai:analyze', 'ai:recommend', 'export:data', 'user:read']),
  viewer: new Set<Permission>(['datasource:read', 'file:read', 'user:read']),
};

/** Whether a role grants a permission; an unknown role grants nothing. */
export function roleHasPermission(role: string, permission: Permission): boolean {
  return isBuiltInRole(role) ? ROLE_PERMISSIONS[role].has(permission) : false;
}

export function isBuiltInRole(role: string): role is BuiltInRole {
  return Object.hasOwn(ROLE_PERMISSIONS, role);
}

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}

/** The permission strings of a stored list that are still known (a custom role outlives a removed permission). */
export function knownPermissions(values: readonly string[]): Set<Permission> {
  return new Set(values.filter(isPermission));
}

/** What an admin caller may do: the resolved permission set when authentication put one there, otherwise the built-in role's. */
export type PermissionHolder = Pick<AdminContext, 'role'> & { permissions?: ReadonlySet<Permission> | undefined };

export function holderPermissions(holder: PermissionHolder): ReadonlySet<Permission> {
  if (holder.permissions) return holder.permissions;
  return isBuiltInRole(holder.role) ? ROLE_PERMISSIONS[holder.role] : new Set();
}

/**
 * Throws ERR_FORBIDDEN unless the caller may do it. Custom roles are resolved
 * once per request by authentication (AdminContext.permissions), so this
 * stays synchronous for every route.
 *
 * @example
 * requirePermission(c.get('admin'), 'db:query');
 */
export function requirePermission(admin: PermissionHolder, permission: Permission): void {
  if (!holderPermissions(admin).has(permission)) {
    throw new InsightError('ERR_FORBIDDEN', `The role "${admin.role}" does not grant "${permission}"`, { permission });
  }
}

/**
 * Throws ERR_FORBIDDEN when the caller would hand out a permission they do
 * not hold themselves (a role for a user or an API key, or a custom role's
 * list): nobody escalates past their own rights.
 */
export function requireGrantable(admin: PermissionHolder, permissions: Iterable<Permission>): void {
  const own = holderPermissions(admin);
  const missing = [...permissions].filter((p) => !own.has(p));
  if (missing.length > 0) {
    throw new InsightError('ERR_FORBIDDEN', 'A role cannot grant more than the caller holds', { permissions: missing });
  }
}
