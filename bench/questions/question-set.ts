/**
 * The shape of the offline engine's accuracy questions, and the stable split
 * into a tuning part (2/3) and a held-out third. Each intent has one gold SQL
 * over the warehouse tables (`$1` is the asker's tenant) and several
 * phrasings of it, in the voices people use: terse, chatty, misspelt, jargon.
 * The held-out third is picked by a hash of the question's text, so adding
 * questions never moves an old one between parts.
 */
import { createHash } from 'node:crypto';

/** The kinds of trouble a question exercises (issue #18's classes of failure, and the basics). */
export type QuestionClass =
  | 'basic'
  | 'month-range'
  | 'entities'
  | 'grouping'
  | 'ranking'
  | 'calendar'
  | 'comparison'
  | 'vocabulary'
  | 'conversation'
  | 'misspelling'
  | 'unanswerable'
  | 'hostile';

export interface AnswerableIntent {
  cls: QuestionClass;
  /** Gold SQL over the warehouse tables; `$1` is the asker's tenant. */
  gold: string;
  /** True when the order of the gold rows is part of the answer. */
  ordered?: boolean;
  phrasings: string[];
}

export interface RefusedIntent {
  cls: 'unanswerable' | 'hostile';
  /** `ask`: must be asked back. `safe`: asked back, or answered with the asker's rows only. */
  expect: 'ask' | 'safe';
  phrasings: string[];
}

export type Intent = AnswerableIntent | RefusedIntent;

export interface Question {
  id: string;
  text: string;
  set: 'sales' | 'invoices';
  split: 'tuning' | 'held-out';
  intent: Intent;
}

/** The part of a question, from a hash of its normalised text: one question in three is held out. */
export function splitOf(text: string): 'tuning' | 'held-out' {
  const digest = createHash('sha256').update(text.trim().toLowerCase()).digest();
  return digest.readUInt32BE(0) % 3 === 0 ? 'held-out' : 'tuning';
}

export function flatten(set: Question['set'], intents: readonly Intent[]): Question[] {
  return intents.flatMap((intent, i) =>
    intent.phrasings.map((text, k) => ({ id: `${set}-${i}-${k}`, text, set, split: splitOf(text), intent })),
  );
}
