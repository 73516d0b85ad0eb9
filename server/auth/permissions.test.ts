import { describe, expect, it } from 'vitest';
import { InsightError } from '../errors/insight-error.ts';
import { PERMISSIONS, requirePermission, roleHasPermission, type Permission } from './permissions.ts';

const granted = (role: string) => PERMISSIONS.filter((p) => roleHasPermission(role, p));

describe('role permissions', () => {
  it('gives owner and admin everything', () => {
    expect(granted('owner')).toEqual([...PERMISSIONS]);
    expect(granted('admin')).toEqual([...PERMISSIONS]);
  });

  it('gives developer db, datasource and story permissions and minting, not exports', () => {
    expect(granted('developer').sort()).toEqual(
      ['db:connect', 'db:query', 'db:admin', 'datasource:read', 'datasource:write', 'datasource:admin', 'story:create', 'story:edit', 'story:publish', 'embed:mint'].sort(),
    );
  });

  it('gives analyst querying, reading and story editing', () => {
    expect(granted('analyst').sort()).toEqual(['datasource:read', 'db:query', 'story:create', 'story:edit']);
  });

  it('gives viewer reading only, and an unknown role nothing', () => {
    expect(granted('viewer')).toEqual(['datasource:read']);
    expect(granted('superuser')).toEqual([]);
    // Not fooled by names on Object.prototype.
    expect(granted('constructor')).toEqual([]);
  });

  it('requirePermission throws ERR_FORBIDDEN naming the permission', () => {
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
});
