/**
 * One declaration per route: method, path, permission, and the zod schemas of
 * its body and query string. The declaration goes into the route catalog the
 * OpenAPI document is built from, and the handler reads its input through the
 * same declaration, so what the document says a route takes and what the
 * route validates are one object and cannot drift apart.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { describeRoute, type RouteDescription } from '../ops/openapi.ts';
import { jsonBody, queryParams } from './json-body.ts';

type Declared = Omit<RouteDescription, 'body' | 'query'>;

export interface DefinedRoute<B extends z.ZodType | undefined, Q extends z.ZodType | undefined> {
  readonly description: RouteDescription;
  /** The JSON body validated with the declared `body` schema (ERR_VALIDATION otherwise). */
  body(c: Context<any, any, any>): Promise<B extends z.ZodType ? z.output<B> : never>;
  /** The query string validated with the declared `query` schema (ERR_VALIDATION otherwise). */
  query(c: Context<any, any, any>): Q extends z.ZodType ? z.output<Q> : never;
}

/**
 * Declares a route for the document and hands back the readers of its input.
 *
 * @example
 * const create = defineRoute({ method: 'post', path: '/api/roles', summary: 'Create a role', tags: ['roles'],
 *   auth: 'admin', permission: 'role:write', body: createRoleSchema, status: 201 });
 * app.post('/', async (c) => { const body = await create.body(c); ... });
 */
export function defineRoute<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
  route: Declared & { body?: B; query?: Q },
): DefinedRoute<B, Q> {
  const description = route as RouteDescription;
  describeRoute(description);
  const { body, query } = route;
  return {
    description,
    body: async (c) => {
      if (!body) throw new Error(`${route.method.toUpperCase()} ${route.path} declares no body`);
      return (await jsonBody(c.req.raw, body)) as never;
    },
    query: (c) => {
      if (!query) throw new Error(`${route.method.toUpperCase()} ${route.path} declares no query string`);
      return queryParams(c.req.url, query) as never;
    },
  };
}
