/**
 * Per-organisation settings: the defaults of the query engine (result cache
 * lifetime, row cap, statement timeout) and of the AI (enabled, model,
 * timeout), stored as one validated document per organisation. A member left
 * out uses the server's default from the environment. The AI API key is
 * never part of it: it stays in the environment and only its presence shows.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { EngineSettings } from '../query/query-engine.ts';
import type { ChangeFeed } from '../store/change-feed.ts';
import type { StoreSchema } from '../store/store-schema.ts';
import { createStoreMemo } from '../store/store-memo.ts';

export const orgConfigSchema = z
  .object({
    /** Result cache lifetime when neither the card, the saved query nor the dataset sets one. */
    cacheTtlSeconds: z.number().int().min(0).max(86_400).optional(),
    rowCap: z.number().int().min(1).max(1_000_000).optional(),
    statementTimeoutMs: z.number().int().min(100).max(600_000).optional(),
    ai: z
      .object({
        enabled: z.boolean().optional(),
        model: z.string().min(1).max(100).regex(/^[A-Za-z0-9._:/-]+$/, 'letters, digits and . _ : / - only').optional(),
        timeoutMs: z.number().int().min(100).max(120_000).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type OrgConfigOverrides = z.infer<typeof orgConfigSchema>;

export interface AiSettings {
  enabled: boolean;
  model: string;
  timeoutMs: number;
}

export interface OrgConfig extends EngineSettings {
  ai: AiSettings;
}

export interface OrgConfigView {
  /** What applies now: overrides over the defaults. */
  settings: OrgConfig & { ai: AiSettings & { apiKeyConfigured: boolean } };
  /** What the organisation set. */
  overrides: OrgConfigOverrides;
  /** The server's defaults (environment). */
  defaults: OrgConfig;
  updatedAt: string | null;
}

export interface OrgConfigRepository {
  /** The effective settings of an organisation (kept in memory until they change). */
  get(orgId: string): Promise<OrgConfig>;
  view(orgId: string): Promise<OrgConfigView>;
  /** Replaces the organisation's overrides; members left out return to the defaults. */
  put(orgId: string, overrides: OrgConfigOverrides): Promise<OrgConfigView>;
}

export interface OrgConfigOptions {
  defaults: OrgConfig;
  /** Whether an AI API key is configured (shown as a flag, never the key). */
  aiKeyConfigured: boolean;
  /** Tells other instances that an organisation's settings changed (and them us). */
  changes?: ChangeFeed;
  now?: () => number;
}

function merge(defaults: OrgConfig, overrides: OrgConfigOverrides): OrgConfig {
  return {
    cacheTtlSeconds: overrides.cacheTtlSeconds ?? defaults.cacheTtlSeconds,
    rowCap: overrides.rowCap ?? defaults.rowCap,
    statementTimeoutMs: overrides.statementTimeoutMs ?? defaults.statementTimeoutMs,
    ai: {
      enabled: overrides.ai?.enabled ?? defaults.ai.enabled,
      model: overrides.ai?.model ?? defaults.ai.model,
      timeoutMs: overrides.ai?.timeoutMs ?? defaults.ai.timeoutMs,
    },
  };
}

/**
 * @example
 * const orgConfig = createOrgConfigRepository(store.db, { defaults, aiKeyConfigured: Boolean(config.openai.apiKey) });
 * const { rowCap } = await orgConfig.get(orgId);
 */
export function createOrgConfigRepository(db: Kysely<StoreSchema>, options: OrgConfigOptions): OrgConfigRepository {
  const now = options.now ?? Date.now;
  const memo = createStoreMemo<OrgConfig>();
  options.changes?.watch('org-config', memo);

  async function read(orgId: string): Promise<{ overrides: OrgConfigOverrides; updatedAt: Date | null }> {
    const row = await db.selectFrom('org_settings').select(['settings', 'updated_at']).where('org_id', '=', orgId).executeTakeFirst();
    if (!row) return { overrides: {}, updatedAt: null };
    // Stored documents were validated when written; parse again so a bound tightened later still holds.
    const parsed = orgConfigSchema.safeParse(row.settings);
    return { overrides: parsed.success ? parsed.data : {}, updatedAt: row.updated_at };
  }

  function toView(overrides: OrgConfigOverrides, updatedAt: Date | null): OrgConfigView {
    const effective = merge(options.defaults, overrides);
    return {
      settings: { ...effective, ai: { ...effective.ai, apiKeyConfigured: options.aiKeyConfigured } },
      overrides,
      defaults: options.defaults,
      updatedAt: updatedAt ? updatedAt.toISOString() : null,
    };
  }

  return {
    get(orgId) {
      return memo.get(orgId, async () => merge(options.defaults, (await read(orgId)).overrides));
    },
    async view(orgId) {
      const { overrides, updatedAt } = await read(orgId);
      return toView(overrides, updatedAt);
    },
    async put(orgId, overrides) {
      const settings = JSON.stringify(overrides);
      const updatedAt = new Date(now());
      await db
        .insertInto('org_settings')
        .values({ org_id: orgId, settings, updated_at: updatedAt })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ settings, updated_at: updatedAt }))
        .execute();
      if (options.changes) options.changes.changed('org-config');
      else memo.forget();
      return toView(overrides, updatedAt);
    },
  };
}

/**
 * The query engine's settings for one organisation: its overrides over the
 * server defaults (read through the repository's short cache).
 *
 * @example
 * createQueryEngine({ ..., settings: (orgId) => engineSettings(orgConfig, orgId) });
 */
export async function engineSettings(orgConfig: Pick<OrgConfigRepository, 'get'>, orgId: string): Promise<EngineSettings> {
  const { cacheTtlSeconds, rowCap, statementTimeoutMs } = await orgConfig.get(orgId);
  return { cacheTtlSeconds, rowCap, statementTimeoutMs };
}
