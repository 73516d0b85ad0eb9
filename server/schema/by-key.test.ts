import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { byKey } from './by-key.ts';

const definition = z.object({ slug: z.string(), pages: z.array(z.object({ title: z.string().min(1) })).min(1) });
const short = z.object({ title: z.string().min(1) }).strict();
const body = byKey('pages', definition, short);

describe('byKey', () => {
  it('checks the shape the member picks and keeps the path of every problem', () => {
    expect(body.parse({ title: 'Sales' })).toEqual({ title: 'Sales' });
    expect(body.parse({ slug: 's', pages: [{ title: 'P' }] })).toEqual({ slug: 's', pages: [{ title: 'P' }] });
    const bad = body.safeParse({ slug: 's', pages: [{ title: '' }] });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['pages.0.title']);
    const unknown = body.safeParse({ title: 'Sales', extra: 1 });
    expect(unknown.error?.issues).toHaveLength(1);
    expect(body.safeParse([]).success).toBe(false);
  });

  it('is documented as either shape', () => {
    const json = z.toJSONSchema(z.object({ body }), { io: 'input', unrepresentable: 'any' }) as unknown as { properties: { body: { anyOf: Array<{ required: string[] }> } } };
    expect(json.properties.body.anyOf.map((o) => o.required)).toEqual([['slug', 'pages'], ['title']]);
  });
});
