/**
 * What a question may be about: the datasets a viewer's story uses (or, for
 * an admin, the ones named), each with the columns the viewer may see. A
 * column the row policy reads, or one named like a parameter the token locks,
 * is hidden: it never reaches the model's prompt, the offline engine, the
 * suggestions or an answer's columns.
 */
import type { DatasetRepository } from '../datasets/dataset-repository.ts';
import { InsightError } from '../errors/insight-error.ts';
import { parsePolicy } from '../query/dataset-source.ts';
import type { DatasetRow } from '../store/store-schema.ts';
import type { StoryModel } from '../stories/story-repository.ts';
import { askDatasetFromDataset, type AskDataset } from './offline/interpret-question.ts';

export interface ScopedDataset {
  row: DatasetRow;
  /** The dataset as the question engines see it: hidden columns removed. */
  ask: AskDataset;
  /** Lower-case names that must not appear in AI-written SQL nor in an answer's columns. */
  hidden: ReadonlySet<string>;
}

// Words of a policy that are SQL, not names; everything else a policy mentions is treated as a name to hide.
const SQL_WORDS = new Set([
  'and', 'or', 'not', 'in', 'is', 'null', 'true', 'false', 'select', 'from', 'where', 'exists', 'between', 'like', 'ilike',
  'as', 'on', 'join', 'left', 'inner', 'any', 'all', 'case', 'when', 'then', 'else', 'end', 'cast', 'lower', 'upper', 'coalesce',
]);

/**
 * Lower-case names hidden from a viewer of this dataset: identifiers the row
 * policy reads and the names of the token's locked parameters.
 *
 * @example
 * hiddenNames({ row_policy: 'tenant_id = {{tenant_id}}' }, { tenant_id: 1 }) // Set { 'tenant_id' }
 */
export function hiddenNames(dataset: Pick<DatasetRow, 'row_policy'>, params: Readonly<Record<string, unknown>>): Set<string> {
  const hidden = new Set(Object.keys(params).map((k) => k.toLowerCase()));
  if (dataset.row_policy) {
    for (const part of parsePolicy(dataset.row_policy)) {
      if ('param' in part) {
        hidden.add(part.param.toLowerCase());
        continue;
      }
      // Quoted literals are values, not names.
      const code = part.text.replace(/'(?:[^']|'')*'/g, ' ');
      for (const word of code.match(/[A-Za-z_][A-Za-z0-9_$]*/g) ?? []) {
        const lower = word.toLowerCase();
        if (!SQL_WORDS.has(lower)) hidden.add(lower);
      }
    }
  }
  return hidden;
}

/** The dataset as a viewer with these locked params may ask about it. */
export function scopeDataset(row: DatasetRow, params: Readonly<Record<string, unknown>>): ScopedDataset {
  const hidden = hiddenNames(row, params);
  return { row, hidden, ask: askDatasetFromDataset(row, hidden) };
}

/** Dataset names the story's cards read, in order of first use. */
export function storyDatasetNames(story: Pick<StoryModel, 'pages'>): string[] {
  return [...new Set(story.pages.flatMap((p) => p.cards.flatMap((c) => (c.query ? [c.query.dataset] : []))))];
}

/**
 * The datasets of a viewer's story, scoped to the viewer. `only` narrows to
 * one of them (AskRequest.dataset); a name outside the story is not found.
 */
export async function viewerDatasets(
  datasets: Pick<DatasetRepository, 'getByName'>,
  story: Pick<StoryModel, 'pages'>,
  viewer: { orgId: string; params: Readonly<Record<string, unknown>> },
  only?: string,
): Promise<ScopedDataset[]> {
  let names = storyDatasetNames(story);
  if (only !== undefined) {
    if (!names.includes(only)) throw new InsightError('ERR_DATASET_NOT_FOUND', 'The story has no such dataset');
    names = [only];
  }
  const rows = await Promise.all(names.map((name) => datasets.getByName(viewer.orgId, name)));
  return rows.map((row) => scopeDataset(row, viewer.params));
}
