/**
 * `/api/ai` (admin API key): SQL from a question, SQL checks, and insights
 * over a result. Questions and SQL reach data only through the guard and the
 * query engine with the params the admin gives; analyses are computed
 * statistics, which a configured model may only retell.
 */
import type { Hono, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { AiSettings, AskService } from '../ai/ask-service.ts';
import { readResult } from '../ai/answer-result.ts';
import { analyzeResultSet, type ResultSet } from '../ai/insights.ts';
import type { LlmClient } from '../ai/llm-client.ts';
import { narrateAnalysis } from '../ai/narrate-analysis.ts';
import { verifySql, type VerifyDeps } from '../ai/verify-sql.ts';
import type { AdminEnv } from '../auth/admin-auth.ts';
import { requirePermission, type Permission } from '../auth/permissions.ts';
import type { QueryEngine } from '../query/query-engine.ts';
import { runSavedQuery } from '../saved-queries/run-saved-query.ts';
import type { SavedQueryRepository } from '../saved-queries/saved-query-repository.ts';
import { defineRoute } from './define-route.ts';
import { adminApp, apiKeyActor, idParam } from './admin/admin-app.ts';
import { queryParamsSchema } from './admin/query-params-schema.ts';

export interface AiRouteDeps {
  auth: MiddlewareHandler<AdminEnv>;
  ask: AskService;
  verify: VerifyDeps;
  engine: QueryEngine;
  savedQueries: Pick<SavedQueryRepository, 'get'>;
  llm: LlmClient | null;
  /** An organisation's own AI settings; narration is off where the organisation turned AI off. */
  aiSettings?: (orgId: string) => Promise<AiSettings>;
}

const datasetName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier');
const optionalParams = queryParamsSchema.unwrap().optional();

const generateBody = z
  .object({
    question: z.string().trim().min(1).max(1000),
    datasets: z.array(datasetName).max(50).optional(),
    params: optionalParams,
  })
  .strict();

const verifyBody = z
  .object({
    sql: z.string().min(1).max(100_000),
    params: optionalParams,
    connectionId: z.string().min(1).max(100).optional(),
  })
  .strict();

const cell = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
const analyzeBody = z.union([
  z
    .object({
      columns: z
        .array(z.object({ name: z.string().min(1).max(200), type: z.enum(['number', 'string', 'date', 'datetime', 'boolean', 'json', 'unknown']).optional(), label: z.string().max(200).optional() }))
        .min(1)
        .max(100),
      rows: z.array(z.array(cell).max(100)).max(50_000),
    })
    .strict(),
  z.object({ savedQueryId: z.string().min(1).max(100), params: queryParamsSchema }).strict(),
]);

const tags = ['ai'];
const generateQuery = defineRoute({ method: 'post', path: '/api/ai/generate-query', summary: 'SQL over datasets for a question: { generatedSql, explanation, confidence, suggestedVisualizations, engine }', tags, auth: 'admin', permission: 'ai:query', body: generateBody });
const verify = defineRoute({ method: 'post', path: '/api/ai/verify', summary: 'Parse, guard and probe SQL over datasets: { isValid, estimatedRows, warnings, errors }', tags, auth: 'admin', permission: 'ai:query', body: verifyBody });
const analyze = defineRoute({ method: 'post', path: '/api/ai/analyze', summary: 'Computed insights over a result set or a saved query: { summary, insights, recommendations, narratedBy }', tags, auth: 'admin', permission: 'ai:analyze', body: analyzeBody });
const recommend = defineRoute({ method: 'post', path: '/api/ai/recommend', summary: 'Recommendations from computed insights (same answer as analyze)', tags, auth: 'admin', permission: 'ai:recommend', body: analyzeBody });

export function aiRoutes(deps: AiRouteDeps): Hono<AdminEnv> {
  const app = adminApp(deps.auth);

  app.post('/generate-query', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'ai:query');
    const body = await generateQuery.body(c);
    return c.json(await deps.ask.generateQuery({ orgId: admin.orgId, actor: apiKeyActor(admin) }, body, c.req.raw.signal));
  });

  app.post('/verify', async (c) => {
    const admin = c.get('admin');
    requirePermission(admin, 'ai:query');
    const body = await verify.body(c);
    return c.json(await verifySql(deps.verify, { orgId: admin.orgId, sql: body.sql, params: body.params, connectionId: body.connectionId, actor: apiKeyActor(admin), signal: c.req.raw.signal }));
  });

  /** The result set of the body, or of a saved query run with the given params. */
  async function resultSetOf(admin: AdminEnv['Variables']['admin'], body: z.infer<typeof analyzeBody>, signal: AbortSignal): Promise<ResultSet> {
    if ('columns' in body) return body;
    const savedQuery = await deps.savedQueries.get(admin.orgId, idParam(body.savedQueryId));
    const result = await runSavedQuery(deps.engine, { orgId: admin.orgId, savedQuery, params: body.params, signal, actor: apiKeyActor(admin) });
    return readResult(result);
  }

  for (const [path, permission, route] of [['/analyze', 'ai:analyze', analyze], ['/recommend', 'ai:recommend', recommend]] as const satisfies ReadonlyArray<readonly [string, Permission, typeof analyze]>) {
    app.post(path, async (c) => {
      const admin = c.get('admin');
      requirePermission(admin, permission);
      const body = await route.body(c);
      const data = await resultSetOf(admin, body, c.req.raw.signal);
      const settings = await deps.aiSettings?.(admin.orgId);
      const llm = settings?.enabled === false ? null : deps.llm;
      const call = { signal: c.req.raw.signal, ...(settings ? { model: settings.model, timeoutMs: settings.timeoutMs } : {}) };
      return c.json(await narrateAnalysis(llm, analyzeResultSet(data), call));
    });
  }

  return app;
}
