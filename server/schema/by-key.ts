/**
 * A body that comes in two shapes told apart by one member, e.g. a new story
 * from `{ title }` or from a whole definition with `pages`. A plain
 * `z.union` would try both shapes and, when both fail, report either a
 * vague "invalid input" or the problems of the wrong shape; this one checks
 * only the shape the member picks, so every problem keeps its path, and is
 * documented as the `anyOf` of both shapes.
 */
import { z } from 'zod';

/**
 * @example
 * const createBody = byKey('pages', storyDefinitionSchema, newStoryBody);
 */
export function byKey<P extends z.ZodType, A extends z.ZodType>(key: string, present: P, absent: A) {
  const documented = z.toJSONSchema(z.union([present, absent]), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete documented['$schema'];
  return z
    .unknown()
    .transform((input, ctx): z.output<P> | z.output<A> => {
      const picked = typeof input === 'object' && input !== null && !Array.isArray(input) && Object.hasOwn(input, key) ? present : absent;
      const parsed = picked.safeParse(input);
      if (parsed.success) return parsed.data as z.output<P> | z.output<A>;
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    })
    .meta(documented);
}
