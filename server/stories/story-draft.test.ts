import { describe, expect, it } from 'vitest';
import { InsightError } from '../errors/insight-error.ts';
import { storyDefinitionSchema } from './story-definition.ts';
import { canonicalJson, checkDraft, definitionToDraft, draftToDefinition, draftToSnapshot, snapshotToDraft, stableId } from './story-draft.ts';
import { keyFromTitle, updateCard } from './story-edits.ts';

const metric = (key: string) => ({ key, type: 'metric' as const, title: key, query: { dataset: 'sales', measures: [{ agg: 'count' as const }] } });
const def = (cards: Array<ReturnType<typeof metric>>) => storyDefinitionSchema.parse({ slug: 's', title: 'S', pages: [{ key: 'p', title: 'P', cards }] });

describe('story drafts', () => {
  it('derives first ids from the story and key, and keeps ids by key on later imports', () => {
    const first = definitionToDraft(def([metric('a'), metric('b')]), 's_1');
    expect(first.pages[0]?.cards.map((c) => c.id)).toEqual([stableId('c', 's_1', 'a'), stableId('c', 's_1', 'b')]);
    const again = definitionToDraft(def([metric('b'), metric('c')]), 's_1', first);
    expect(again.pages[0]?.cards.map((c) => c.id)).toEqual([stableId('c', 's_1', 'b'), stableId('c', 's_1', 'c')]);
    expect(again.pages[0]?.id).toBe(first.pages[0]?.id);
  });

  it('gives a new card a fresh id when its key was renamed away from a card that keeps the derived id', () => {
    const first = definitionToDraft(def([metric('a')]), 's_1');
    const renamed = checkDraft(updateCard(first, first.pages[0]!.cards[0]!.id, { key: 'renamed' }).draft);
    const next = definitionToDraft(def([metric('renamed'), metric('a')]), 's_1', renamed);
    const [kept, fresh] = next.pages[0]!.cards;
    expect(kept?.id).toBe(stableId('c', 's_1', 'a'));
    expect(fresh?.id).not.toBe(kept?.id);
    expect(fresh?.id).toMatch(/^c_/);
  });

  it('reports problems of the changed card relative to it, and others by their place in the story', () => {
    const draft = definitionToDraft(def([metric('a')]), 's_1');
    const broken = { ...draft, pages: [{ ...draft.pages[0]!, cards: [{ ...draft.pages[0]!.cards[0]!, drill: { page: 'nowhere', filters: {} } }] }] };
    const attempt = (focus?: Array<string | number>) => {
      try {
        checkDraft(broken, focus ? { focus } : {});
      } catch (error) {
        return (error as InsightError).extensions?.['errors'];
      }
      return undefined;
    };
    expect(attempt(['pages', 0, 'cards', 0])).toEqual([{ path: 'drill.page', message: expect.any(String) }]);
    expect(attempt()).toEqual([{ path: 'pages.0.cards.0.drill.page', message: expect.any(String) }]);
  });

  it('snapshots read back as the same story, and compare regardless of member order', () => {
    const draft = definitionToDraft(def([metric('a')]), 's_1');
    const snapshot = JSON.parse(JSON.stringify(draftToSnapshot(draft)));
    expect(draftToDefinition(snapshotToDraft(snapshot), 'draft')).toEqual(draftToDefinition(draft, 'draft'));
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: [2, { e: 0, f: 1 }] }, b: 1 }));
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('makes keys from titles', () => {
    expect(keyFromTitle('Revenue by Région!', 'card', new Set())).toBe('revenue-by-region');
    expect(keyFromTitle('Revenue', 'card', new Set(['revenue', 'revenue-2']))).toBe('revenue-3');
    expect(keyFromTitle('¡¡!!', 'card', new Set())).toBe('card');
  });
});
