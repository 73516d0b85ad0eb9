/**
 * Who may do what to one story. The caller's role decides org-wide; for a
 * user session a share of the story adds what the role lacks, on that story
 * only: `view` reads it, `edit` also changes its draft, `admin` also
 * publishes, deletes and manages its shares. API keys have their role only.
 *
 * A user who can neither read stories org-wide (`datasource:read`) nor holds
 * any share of this one gets ERR_STORY_NOT_FOUND, exactly like a story that
 * does not exist; one who can see the story but may not do this gets
 * ERR_FORBIDDEN. Shares are read on every check, so granting, changing or
 * revoking one takes effect on the next request.
 */
import type { Kysely } from 'kysely';
import type { AdminContext } from '../auth/admin-auth.ts';
import { holderPermissions, requirePermission, type Permission } from '../auth/permissions.ts';
import { InsightError } from '../errors/insight-error.ts';
import type { ShareLevel, StoreSchema } from '../store/store-schema.ts';
import type { StoryListOptions, StoryListPage } from './story-authoring.ts';
import { createStoryShares, shareCovers } from './story-shares.ts';

/** The permission that lets a role read every story of the organisation. */
export const READ_STORIES: Permission = 'datasource:read';

export type StoryCaller = Pick<AdminContext, 'orgId' | 'role' | 'permissions' | 'actor'>;

export interface StoryAccess {
  /**
   * Resolves when the caller holds `permission` org-wide or, as a user, a
   * share of the story at `level` or above; throws ERR_STORY_NOT_FOUND or
   * ERR_FORBIDDEN otherwise (see above).
   */
  require(admin: StoryCaller, storyId: string, level: ShareLevel, permission: Permission): Promise<void>;
  /**
   * The stories the caller may list: every story for a role that reads them
   * org-wide (`all` runs the organisation's list), the stories shared with a
   * user otherwise; ERR_FORBIDDEN for an API key without `datasource:read`.
   */
  list(admin: StoryCaller, options: StoryListOptions, all: (options: StoryListOptions) => Promise<StoryListPage>): Promise<StoryListPage>;
}

/**
 * @example
 * const access = createStoryAccess(store.db);
 * await access.require(c.get('admin'), storyId, 'edit', 'story:edit');
 */
export function createStoryAccess(db: Kysely<StoreSchema>): StoryAccess {
  const shares = createStoryShares(db);

  return {
    async require(admin, storyId, level, permission) {
      const held = holderPermissions(admin);
      if (held.has(permission) || admin.actor.type !== 'user') {
        requirePermission(admin, permission);
        return;
      }
      const share = await shares.levelOf(admin.orgId, storyId, admin.actor.id);
      if (share && shareCovers(share, level)) return;
      if (!share && !held.has(READ_STORIES)) throw new InsightError('ERR_STORY_NOT_FOUND');
      requirePermission(admin, permission);
    },

    async list(admin, options, all) {
      if (holderPermissions(admin).has(READ_STORIES) || admin.actor.type !== 'user') {
        requirePermission(admin, READ_STORIES);
        return all(options);
      }
      return all({ ...options, sharedWith: admin.actor.id });
    },
  };
}
