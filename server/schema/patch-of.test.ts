import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { patchOf } from './patch-of.ts';

const card = z.object({ title: z.string().min(1), note: z.string().optional(), options: z.record(z.string(), z.unknown()).default({}) });
const patch = patchOf(card).strict();

describe('patchOf', () => {
  it('makes every member optional, typed as in the object, with null only for members the object may go without', () => {
    expect(patch.parse({})).toEqual({});
    expect(patch.parse({ note: null })).toEqual({ note: null });
    expect(patch.safeParse({ title: null }).success).toBe(false);
    expect(patch.safeParse({ title: 5 }).error?.issues[0]?.path).toEqual(['title']);
    expect(patch.safeParse({ other: 1 }).success).toBe(false);
  });

  it('does not fill in defaults, so a member left out keeps its value', () => {
    expect(patch.parse({ title: 'T' })).toEqual({ title: 'T' });
    expect(patch.parse({ options: null })).toEqual({ options: null });
  });
});
