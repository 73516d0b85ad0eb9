/**
 * What each built-in role may do. Routes ask for one permission string; the
 * table below is the only place that knows which role grants it, so a later
 * issue can add custom roles without touching a route.
 */
import { InsightError } from '../errors/insight-error.ts';
import type { AdminContext } from './admin-auth.ts';

export const PERMISSIONS = [
  'db:connect',
  'db:query',
  'db:admin',
  'datasource:read',
  'datasource:write',
  'datasource:admin',
  'story:create',
  'story:edit',
  'story:publish',
  'export:data',
  'embed:mint',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export type BuiltInRole = 'owner' | 'admin' | 'developer' | 'analyst' | 'viewer';

const prefixed = (...prefixes: string[]) => PERMISSIONS.filter((p) => prefixes.some((prefix) => p.startsWith(prefix)));

export const ROLE_PERMISSIONS: Readonly<Record<BuiltInRole, ReadonlySet<Permission>>> = {
  owner: new Set(PERMISSIONS),
  admin: new Set(PERMISSIONS),
  developer: new Set([...prefixed('db:', 'datasource:', 'story:'), 'embed:mint']),
  analyst: new Set(['db:query', 'datasource:read', 'story:create', 'story:edit']),
  viewer: new Set(['datasource:read']),
};

/** Whether a role grants a permission; an unknown role grants nothing. */
export function roleHasPermission(role: string, permission: Permission): boolean {
  return Object.hasOwn(ROLE_PERMISSIONS, role) ? ROLE_PERMISSIONS[role as BuiltInRole].has(permission) : false;
}

/**
 * Throws ERR_FORBIDDEN unless the caller's role grants the permission.
 *
 * @example
 * requirePermission(c.get('admin'), 'db:query');
 */
export function requirePermission(admin: Pick<AdminContext, 'role'>, permission: Permission): void {
  if (!roleHasPermission(admin.role, permission)) {
    throw new InsightError('ERR_FORBIDDEN', `The role "${admin.role}" does not grant "${permission}"`, { permission });
  }
}
