/** One entry of the question box's suggestion list. */
export interface QuestionOption {
  text: string;
  /** `recent`: asked earlier in this session; `suggested`: built by the server from dataset metadata. */
  source: 'recent' | 'suggested';
}

const normalise = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

/**
 * The questions to offer for what is typed: recent questions first (newest
 * first), then the server's suggestions, each once, keeping those that contain
 * every typed word. An empty box offers everything; the typed text itself is
 * not offered back.
 * @example matchQuestions('rev reg', ['revenue by region'], ['orders by month']) // [{ text: 'revenue by region', source: 'recent' }]
 */
export function matchQuestions(input: string, recent: readonly string[], suggested: readonly string[], limit = 8): QuestionOption[] {
  const typed = normalise(input);
  const words = typed.split(' ').filter(Boolean);
  const seen = new Set<string>();
  const out: QuestionOption[] = [];
  const candidates = [
    ...recent.map((text) => ({ text, source: 'recent' as const })),
    ...suggested.map((text) => ({ text, source: 'suggested' as const })),
  ];
  for (const candidate of candidates) {
    const key = normalise(candidate.text);
    if (!key || seen.has(key) || key === typed) continue;
    seen.add(key);
    if (words.every((word) => key.includes(word))) out.push({ text: candidate.text.trim(), source: candidate.source });
    if (out.length >= limit) break;
  }
  return out;
}
