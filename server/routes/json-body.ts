/**
 * Request parsing shared by the route modules: every body and query string
 * goes through a zod schema, and every failure is the same ERR_VALIDATION
 * problem with one `errors[]` entry per issue (path and message, never the
 * offending value, which could be a password).
 */
import { z } from 'zod';
import { InsightError } from '../errors/insight-error.ts';

export function validationError(error: z.ZodError, detail = 'The request is not valid'): InsightError {
  return new InsightError('ERR_VALIDATION', detail, {
    errors: error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
  });
}

/** Parses a JSON body (an empty body reads as `{}`) against the schema. */
export async function jsonBody<T>(request: Request, schema: z.ZodType<T>): Promise<T> {
  const text = await request.text();
  let raw: unknown = {};
  if (text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new InsightError('ERR_VALIDATION', 'The body is not valid JSON');
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw validationError(parsed.error, 'The body is not valid');
  return parsed.data;
}

/** Parses the query string (one value per name) against the schema. */
export function queryParams<T>(url: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(Object.fromEntries(new URL(url).searchParams));
  if (!parsed.success) throw validationError(parsed.error, 'The query string is not valid');
  return parsed.data;
}
