/**
 * Shares: which users of the organisation may view, edit or administer a
 * story. One share per user and story; granting again changes the level.
 * What a share lets its user do is decided in story-access.ts.
 */
import type { Kysely } from 'kysely';
import { InsightError } from '../errors/insight-error.ts';
import type { ShareLevel, StoreSchema } from '../store/store-schema.ts';

/** Lowest to highest: each level includes the ones before it. */
export const SHARE_LEVELS = ['view', 'edit', 'admin'] as const satisfies readonly ShareLevel[];

/** Whether a share of level `held` covers what `needed` asks for. */
export function shareCovers(held: ShareLevel, needed: ShareLevel): boolean {
  return SHARE_LEVELS.indexOf(held) >= SHARE_LEVELS.indexOf(needed);
}

export interface StoryShare {
  userId: string;
  email: string;
  name: string;
  level: ShareLevel;
  grantedBy: string | null;
  createdAt: Date;
}

export interface StoryShares {
  list(orgId: string, storyId: string): Promise<StoryShare[]>;
  /** Creates or changes the share; `created` is false when the user already had one. */
  grant(orgId: string, storyId: string, share: { userId: string; level: ShareLevel; grantedBy: string | null }): Promise<{ share: StoryShare; created: boolean }>;
  revoke(orgId: string, storyId: string, userId: string): Promise<void>;
  /** The user's share of the story, or null (also for a story or user of another organisation). */
  levelOf(orgId: string, storyId: string, userId: string): Promise<ShareLevel | null>;
}




/**
 * @example
 * const shares = createStoryShares(store.db);
 * await shares.grant(orgId, storyId, { userId: 'u_1', level: 'edit', grantedBy: 'k_123' });
 */
export function createStoryShares(db: Kysely<StoreSchema>): StoryShares {
  async function checkStory(orgId: string, storyId: string): Promise<void> {
    const story = await db.selectFrom('stories').select('id').where('org_id', '=', orgId).where('id', '=', storyId).executeTakeFirst();
    if (!story) throw new InsightError('ERR_STORY_NOT_FOUND');
  }

  const sharesOf = (orgId: string, storyId: string) =>
    db
      .selectFrom('story_shares')
      .innerJoin('users', 'users.id', 'story_shares.user_id')
      .select(['story_shares.user_id', 'users.email', 'users.name', 'story_shares.level', 'story_shares.granted_by', 'story_shares.created_at'])
      .where('story_shares.story_id', '=', storyId)
      .where('users.org_id', '=', orgId);

  const view = (r: { user_id: string; email: string; name: string; level: ShareLevel; granted_by: string | null; created_at: Date }): StoryShare => ({
    userId: r.user_id,
    email: r.email,
    name: r.name,
    level: r.level,
    grantedBy: r.granted_by,
    createdAt: r.created_at,
  });

  return {
    async list(orgId, storyId) {
      await checkStory(orgId, storyId);
      return (await sharesOf(orgId, storyId).orderBy('users.email').execute()).map(view);
    },

    async grant(orgId, storyId, share) {
      await checkStory(orgId, storyId);
      const user = await db.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', share.userId).executeTakeFirst();
      if (!user) throw new InsightError('ERR_NOT_FOUND', 'The organisation has no such user', { errors: [{ path: 'userId', message: 'no such user' }] });
      const existing = await db.selectFrom('story_shares').select('level').where('story_id', '=', storyId).where('user_id', '=', share.userId).executeTakeFirst();
      await db
        .insertInto('story_shares')
        .values({ story_id: storyId, user_id: share.userId, level: share.level, granted_by: share.grantedBy })
        .onConflict((oc) => oc.columns(['story_id', 'user_id']).doUpdateSet({ level: share.level, granted_by: share.grantedBy }))
        .execute();
      const row = await sharesOf(orgId, storyId).where('story_shares.user_id', '=', share.userId).executeTakeFirstOrThrow();
      return { share: view(row), created: !existing };
    },

    async revoke(orgId, storyId, userId) {
      await checkStory(orgId, storyId);
      const removed = await db.deleteFrom('story_shares').where('story_id', '=', storyId).where('user_id', '=', userId).executeTakeFirst();
      if (Number(removed.numDeletedRows) === 0) throw new InsightError('ERR_NOT_FOUND', 'The user has no share of this story');
    },

    async levelOf(orgId, storyId, userId) {
      const row = await db
        .selectFrom('story_shares')
        .innerJoin('stories', 'stories.id', 'story_shares.story_id')
        .innerJoin('users', 'users.id', 'story_shares.user_id')
        .select('story_shares.level')
        .where('story_shares.story_id', '=', storyId)
        .where('story_shares.user_id', '=', userId)
        .where('stories.org_id', '=', orgId)
        .where('users.org_id', '=', orgId)
        .executeTakeFirst();
      return row?.level ?? null;
    },
  };
}
