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
