import type { AskChip } from '../../sdk/protocol.ts';

/**
 * The question asked again when the viewer removes one understood chip: the
 * words of the other chips, in the order the engine understood them.
 * @example questionFromChips([{ text: 'revenue' }, { text: 'by region' }, { text: 'last year' }], 2) // 'revenue by region'
 */
export function questionFromChips(chips: ReadonlyArray<Pick<AskChip, 'text'>>, removed: number): string {
  return chips
    .filter((_, index) => index !== removed)
    .map((chip) => chip.text.trim())
    .filter(Boolean)
    .join(' ');
}
