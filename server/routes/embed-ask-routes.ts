/**
 * `/api/embed/ask` (embed token with the permission `ask`): questions about
 * the datasets of the token's story, answered with the viewer's rows only.
 * Mounted inside the embed API, so its CORS and token check apply.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { AskService } from '../ai/ask-service.ts';
import { InsightError } from '../errors/insight-error.ts';
import { describeRoute } from '../ops/openapi.ts';
import type { EmbedViewer } from '../tokens/verify-embed-token.ts';
import { defineRoute } from './define-route.ts';

type Env = { Variables: { viewer: EmbedViewer } };

const askBody = z
  .object({
    question: z.string().trim().min(1).max(500),
    dataset: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'must be a plain identifier').optional(),
  })
  .strict();

const askQuestion = defineRoute({ method: 'post', path: '/api/embed/ask', summary: 'Answer a question about the story datasets with the viewer rows (token permission ask): AskResponse', tags: ['embed'], auth: 'embed', embedPermission: 'ask', body: askBody });
describeRoute({ method: 'get', path: '/api/embed/ask/suggestions', summary: 'Example questions from the story datasets (token permission ask): AskSuggestionsResponse', tags: ['embed'], auth: 'embed', embedPermission: 'ask' });

/**
 * @example
 * app.route('/ask', embedAskRoutes({ ask: services.ask })); // inside embedRoutes, after its token check
 */
export function embedAskRoutes(deps: { ask: AskService }): Hono<Env> {
  const app = new Hono<Env>();
  // Before the body is read: a token without `ask` learns nothing else about the route.
  app.use('*', async function requireAsk(c, next) {
    if (!c.get('viewer').permissions.includes('ask')) throw new InsightError('ERR_FORBIDDEN', 'The token does not grant "ask"', { permission: 'ask' });
    await next();
  });

  app.post('/', async (c) => {
    const viewer = c.get('viewer');
    const body = await askQuestion.body(c);
    const answer = await deps.ask.ask(viewer, body.dataset ? { question: body.question, dataset: body.dataset } : { question: body.question }, c.req.raw.signal);
    return c.json(answer, 200, { 'cache-control': 'private, no-store' });
  });

  app.get('/suggestions', async (c) => {
    const viewer = c.get('viewer');
    return c.json(await deps.ask.suggestions(viewer), 200, { 'cache-control': 'private, no-store' });
  });

  return app;
}
