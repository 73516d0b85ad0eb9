/**
 * Lets the model retell computed insights in friendlier words, and nothing
 * more: it sees only the computed facts, and its summary is used only when
 * every number in it appears in those facts. Otherwise (or without a model,
 * or when it is slow) the computed summary stands.
 */
import type { Analysis } from './insights.ts';
import { parseJsonReply, type LlmCallOptions, type LlmClient } from './llm-client.ts';

export interface NarratedAnalysis extends Analysis {
  /** Who wrote the summary: the statistics themselves, or the model retelling them. */
  narratedBy: 'statistics' | 'llm';
}

/** Every number in a text, without thousands separators or signs (so "+1,200" and "1200" match). */
function numbersIn(text: string): string[] {
  return (text.match(/\d[\d,]*(?:\.\d+)?/g) ?? []).map((n) => n.replace(/,/g, '').replace(/\.0+$/, ''));
}

/**
 * @example
 * const narrated = await narrateAnalysis(llm, analyzeResultSet(data)); // narratedBy: 'llm' when the model kept to the facts
 */
export async function narrateAnalysis(llm: LlmClient | null, analysis: Analysis, call: LlmCallOptions = {}): Promise<NarratedAnalysis> {
  if (!llm || analysis.insights.length === 0) return { ...analysis, narratedBy: 'statistics' };
  const facts = [analysis.summary, ...analysis.insights.map((i) => `${i.title}: ${i.detail}`), ...analysis.recommendations.map((r) => `${r.title}: ${r.rationale}`)].join('\n');
  try {
    const text = await llm.completeJson(
      [
        {
          role: 'system',
          content:
            'You summarise analysis results for a business user in two or three sentences. Use only the facts given; do not add numbers, causes or data that are not in them. Reply with a JSON object only: {"summary": "..."}',
        },
        { role: 'user', content: `Facts:\n${facts}` },
      ],
      call,
    );
    const summary = parseJsonReply(text)?.['summary'];
    if (typeof summary !== 'string' || summary.trim() === '' || summary.length > 1500) return { ...analysis, narratedBy: 'statistics' };
    const known = new Set(numbersIn(facts));
    if (numbersIn(summary).some((n) => !known.has(n))) return { ...analysis, narratedBy: 'statistics' };
    return { ...analysis, summary: summary.trim(), narratedBy: 'llm' };
  } catch {
    return { ...analysis, narratedBy: 'statistics' };
  }
}
