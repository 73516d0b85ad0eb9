/**
 * The body of a PATCH over an object schema: every member optional and typed
 * as in the object, and `null` to clear a member the object may go without
 * (or fills in with its default).
 * The patched whole is checked again by the object's own schema, so only the
 * rules that look at several members at once are left to that check, and the
 * API document tells a client the type of every member it may send.
 */
import { z } from 'zod';

/** A member's schema without its default, so a patch that leaves the member out does not reset it. */
function withoutDefault(member: z.ZodType): z.ZodType {
  return member instanceof z.ZodDefault ? (member.unwrap() as z.ZodType) : member;
}

/**
 * @example
 * const cardPatch = patchOf(cardFieldsSchema).extend({ position }).strict();
 */
export function patchOf<T extends z.ZodRawShape>(object: z.ZodObject<T>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, member] of Object.entries(object.shape) as Array<[string, z.ZodType]>) {
    const base = withoutDefault(member);
    // A defaulted member may be cleared too: the whole, checked again, gets the default back.
    const optional = member.safeParse(undefined).success;
    shape[name] = optional ? base.nullable().optional() : base.optional();
  }
  return z.object(shape as { [K in keyof T]: z.ZodOptional<z.ZodType> });
}
