import { describe, expect, it } from 'vitest';
import { InsightError } from '../errors/insight-error.ts';
import { holderPermissions, knownPermissions, PERMISSIONS, requireGrantable, requirePermission, roleHasPermission, type Permission } from './permissions.ts';

const granted = (role: string) => PERMISSIONS.filter((p) => roleHasPermission(role, p));
const codeOf = (attempt: () => void) => {
  try {
    attempt();
    return 'allowed';
  } catch (error) {
    return error instanceof InsightError ? error.code : String(error);
  }
};

describe('built-in role permissions', () => {
  it('gives owner everything and admin everything but system:admin', () => {
    expect(granted('owner')).toEqual([...PERMISSIONS]);
    expect(granted('admin')).toEqual(PERMISSIONS.filter((p) => p !== 'system:admin'));
  });

  it('gives developer building, AI, files, minting and exports, and only reading of users and roles', () => {
    expect(granted('developer').sort()).toEqual(
      [
        'db:connect', 'db:query', 'db:write', 'db:admin',
        'datasource:read', 'datasource:write', 'datasource:admin',
        'story:create', 'story:edit', 'story:publish', 'story:delete',
        'ai:query', 'ai:analyze', 'ai:recommend',
        'file:read', 'file:write', 'file:delete',
        'embed:mint', 'export:data', 'share:grant', 'user:read', 'role:read',
      ].sort(),
    );
  });

  it('gives analyst querying, reading, story editing, AI and exports', () => {
    expect(granted('analyst').sort()).toEqual(
      ['ai:analyze', 'ai:query', 'ai:recommend', 'datasource:read', 'db:query', 'export:data', 'file:read', 'story:create', 'story:edit', 'user:read'].sort(),
    );
  });

  it('gives viewer reading only, and an unknown role nothing', () => {
    expect(granted('viewer').sort()).toEqual(['datasource:read', 'file:read', 'user:read']);
    expect(granted('superuser')).toEqual([]);
    // Not fooled by names on Object.prototype.
    expect(granted('constructor')).toEqual([]);
    expect(granted('__proto__')).toEqual([]);
  });

  it('keeps every system, role-writing and user-writing permission away from developer, analyst and viewer', () => {
    for (const role of ['developer', 'analyst', 'viewer']) {
      for (const p of ['system:config', 'system:admin', 'role:write', 'role:delete', 'user:write', 'user:delete'] as const) expect(roleHasPermission(role, p)).toBe(false);
    }
  });
});

describe('requirePermission', () => {
  it('throws ERR_FORBIDDEN naming the permission', () => {
    expect(() => requirePermission({ role: 'analyst' }, 'db:query')).not.toThrow();
    const attempt = () => requirePermission({ role: 'viewer' }, 'db:connect' satisfies Permission);
    expect(attempt).toThrow(InsightError);
    try {
      attempt();
    } catch (error) {
      expect((error as InsightError).code).toBe('ERR_FORBIDDEN');
      expect((error as InsightError).extensions).toEqual({ permission: 'db:connect' });
    }
  });

  it('uses the resolved permission set of a custom role instead of the role name', () => {
    const custom = { role: 'role_abc', permissions: knownPermissions(['datasource:read', 'embed:mint']) };
    expect(codeOf(() => requirePermission(custom, 'embed:mint'))).toBe('allowed');
    expect(codeOf(() => requirePermission(custom, 'db:query'))).toBe('ERR_FORBIDDEN');
    // A resolved set wins over a built-in name too: what authentication resolved is what counts.
    expect(codeOf(() => requirePermission({ role: 'owner', permissions: new Set() }, 'datasource:read'))).toBe('ERR_FORBIDDEN');
  });

  it('drops unknown permission strings from a stored list', () => {
    expect([...knownPermissions(['datasource:read', 'everything', 'system:root'])]).toEqual(['datasource:read']);
    expect(holderPermissions({ role: 'nobody' }).size).toBe(0);
  });
});

describe('requireGrantable', () => {
  it('lets a caller hand out only permissions they hold', () => {
    expect(codeOf(() => requireGrantable({ role: 'admin' }, ['user:write', 'db:query']))).toBe('allowed');
    expect(codeOf(() => requireGrantable({ role: 'admin' }, ['system:admin']))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => requireGrantable({ role: 'developer' }, ['user:write']))).toBe('ERR_FORBIDDEN');
    expect(codeOf(() => requireGrantable({ role: 'owner' }, PERMISSIONS))).toBe('allowed');
  });
});
