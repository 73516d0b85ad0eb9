/**
 * How often the offline engine answers a question right, end to end: each
 * question of bench/questions goes to POST /api/embed/ask of a real test
 * server (no model, so the offline engine answers) with an embed token locked
 * to tenant 1, and the rows that come back are compared with the rows of the
 * question's gold SQL run directly on the warehouse for the same tenant. The
 * demo questions read the demo warehouse; the invoice questions read a table
 * created in the real PostgreSQL for the run.
 *
 * Outcomes: correct (the gold rows, in any order and with any extra columns,
 * unless the gold is ordered), asked back, wrong, leaked (a value only another
 * tenant has). Questions that cannot be answered must be asked back; hostile
 * ones must be asked back or confined to the asker's rows.
 *
 * Usage: node --import tsx bench/ask-accuracy.ts [--split tuning|held-out|all] [--list wrong,asked]
 * Only list the failures of the tuning split while working on the engine.
 */
import type { AskResponse } from '../sdk/protocol.ts';
import { DEMO_CONNECTION_ID } from '../server/demo-content/provision-demo.ts';
import { createTestServer, type TestServer } from '../server/testing/test-services.ts';
import { isMain } from './bench-kit.ts';
import { BILLING_STORY, createInvoicesFixture, INVOICE_ACCOUNTS, type InvoicesFixture } from './questions/invoices-fixture.ts';
import { INVOICE_INTENTS, INVOICE_REFUSED } from './questions/invoice-questions.ts';
import { flatten, type Question } from './questions/question-set.ts';
import { SALES_INTENTS, SALES_REFUSED } from './questions/sales-questions.ts';

export const ASKER_TENANT = 1;

export type Outcome = 'correct' | 'asked-back' | 'wrong' | 'leaked' | 'handled';

export interface QuestionResult {
  question: Question;
  outcome: Outcome;
  /** For an answerable question asked back: would the engine's first suggestion have been right? */
  firstSuggestionRight?: boolean;
  /** Suggestions offered that the engine itself does not answer. */
  badSuggestions: string[];
  answer: AskResponse | { status: 'error'; code?: string };
}

export interface Tally {
  answerable: number;
  correct: number;
  askedBack: number;
  askedBackFirstSuggestionRight: number;
  wrong: number;
  leaked: number;
  refused: number;
  refusedHandled: number;
  badSuggestions: number;
}

export function allQuestions(): Question[] {
  return [...flatten('sales', [...SALES_INTENTS, ...SALES_REFUSED]), ...flatten('invoices', [...INVOICE_INTENTS, ...INVOICE_REFUSED])];
}

// --- comparing rows

type Cell = string | number | null;

function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().replace(/T00:00:00(\.000)?Z$/, '');
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
    const day = /^(\d{4}-\d{2}-\d{2})[T ]00:00:00(\.0+)?(Z|[+-]00(:?00)?)?$/.exec(value);
    return day ? (day[1] as string) : value;
  }
  return String(value);
}

const same = (a: Cell, b: Cell) => (typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) <= Math.max(0.011, Math.abs(b) * 1e-6) : a === b);
const order = (a: Cell, b: Cell) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0);

function sameColumn(a: Cell[], b: Cell[]): boolean {
  const x = [...a].sort(order);
  const y = [...b].sort(order);
  return x.every((v, i) => same(v, y[i] as Cell));
}

function sameRows(gold: Cell[][], answer: Cell[][], columns: number[], ordered: boolean): boolean {
  const project = (row: Cell[]) => columns.map((k) => row[k] as Cell);
  const rows = answer.map(project);
  if (ordered) return gold.every((g, i) => g.every((v, j) => same((rows[i] as Cell[])[j] as Cell, v)));
  const used = new Set<number>();
  return gold.every((g) => {
    const i = rows.findIndex((r, k) => !used.has(k) && g.every((v, j) => same(r[j] as Cell, v)));
    if (i < 0) return false;
    used.add(i);
    return true;
  });
}

/**
 * True when the answer holds the gold rows: the same number of rows, and for
 * each gold column a distinct answer column with the same values row by row
 * (the answer may carry more columns, such as the measure of a ranking).
 */
export function matchesGold(goldRows: unknown[][], answerRows: unknown[][], ordered = false): boolean {
  const gold = goldRows.map((r) => r.map(cell));
  const answer = answerRows.map((r) => r.map(cell));
  if (gold.length !== answer.length) return false;
  if (gold.length === 0) return true;
  const width = (gold[0] as Cell[]).length;
  const answerWidth = (answer[0] as Cell[]).length;
  const columnOf = (rows: Cell[][], k: number) => rows.map((r) => r[k] as Cell);
  const candidates = Array.from({ length: width }, (_, j) =>
    Array.from({ length: answerWidth }, (_, k) => k).filter((k) => sameColumn(columnOf(gold, j), columnOf(answer, k))),
  );
  const assign = (j: number, chosen: number[]): boolean => {
    if (j === width) return sameRows(gold, answer, chosen, ordered);
    return (candidates[j] as number[]).some((k) => !chosen.includes(k) && assign(j + 1, [...chosen, k]));
  };
  return assign(0, []);
}

// --- running

interface Harness {
  server: TestServer;
  invoices: InvoicesFixture;
  tokens: Record<Question['set'], string>;
  /** Values only other tenants have: one of them in an answer is a leak. */
  foreign: Set<string>;
  close(): Promise<void>;
}

async function demoGold(server: TestServer, sql: string, params: unknown[]): Promise<unknown[][]> {
  const connector = await server.services.connections.get(server.services.defaultOrgId, DEMO_CONNECTION_ID);
  const result = await connector.execute(sql, params, { timeoutMs: 30_000, maxRows: 100_000 });
  return result.rows as unknown[][];
}

export async function startHarness(): Promise<Harness> {
  const server = await createTestServer();
  const invoices = await createInvoicesFixture(server);
  const tokens = {
    sales: await server.token({ permissions: ['view', 'ask'], params: { tenant_id: ASKER_TENANT } }),
    invoices: await server.token({ story: BILLING_STORY, permissions: ['view', 'ask'], params: { tenant_id: ASKER_TENANT } }),
  };
  const foreign = new Set<string>();
  for (const column of ['category', 'product']) {
    const rows = await demoGold(server, `select distinct ${column} from sales_facts where tenant_id <> $1 except select distinct ${column} from sales_facts where tenant_id = $1`, [ASKER_TENANT]);
    for (const [v] of rows) foreign.add(String(v));
  }
  for (const [tenant, accounts] of Object.entries(INVOICE_ACCOUNTS)) if (Number(tenant) !== ASKER_TENANT) for (const a of accounts) foreign.add(a);
  return {
    server,
    invoices,
    tokens,
    foreign,
    async close() {
      await invoices.drop();
      await server.close();
    },
  };
}

async function ask(h: Harness, set: Question['set'], question: string): Promise<AskResponse | { status: 'error'; code?: string }> {
  const res = await h.server.app.request('/api/embed/ask', {
    method: 'POST',
    headers: { authorization: `Bearer ${h.tokens[set]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ question }),
  });
  const body = (await res.json()) as AskResponse & { code?: string };
  return res.status === 200 ? body : { status: 'error', ...(body.code ? { code: body.code } : {}) };
}

const leaks = (h: Harness, answer: AskResponse) => answer.rows.some((row) => row.some((v) => typeof v === 'string' && h.foreign.has(v)));

async function gold(h: Harness, set: Question['set'], sql: string, tenant: number): Promise<unknown[][]> {
  return set === 'sales' ? demoGold(h.server, sql, [tenant]) : h.invoices.gold(sql, [tenant]);
}

export async function evaluate(h: Harness, question: Question): Promise<QuestionResult> {
  const answer = await ask(h, question.set, question.text);
  const intent = question.intent;
  const suggestions = answer.status === 'clarify' ? (answer.clarification?.suggestions ?? []) : [];
  const badSuggestions: string[] = [];
  const suggestionAnswers: Array<AskResponse | { status: 'error' }> = [];
  for (const s of suggestions) {
    const reply = await ask(h, question.set, s);
    suggestionAnswers.push(reply);
    if (reply.status !== 'answered') badSuggestions.push(s);
  }
  const base = { question, answer, badSuggestions };

  if (!('gold' in intent)) {
    if (answer.status !== 'answered') return { ...base, outcome: 'handled' };
    if (leaks(h, answer)) return { ...base, outcome: 'leaked' };
    return { ...base, outcome: intent.expect === 'safe' ? 'handled' : 'wrong' };
  }
  const truth = await gold(h, question.set, intent.gold, ASKER_TENANT);
  if (answer.status !== 'answered') {
    const first = suggestionAnswers[0];
    const firstSuggestionRight = first !== undefined && first.status === 'answered' && matchesGold(truth, (first as AskResponse).rows, intent.ordered);
    return { ...base, outcome: answer.status === 'clarify' ? 'asked-back' : 'wrong', firstSuggestionRight };
  }
  if (leaks(h, answer)) return { ...base, outcome: 'leaked' };
  if (matchesGold(truth, answer.rows, intent.ordered)) return { ...base, outcome: 'correct' };
  // Another tenant's answer to the same question is a leak even without a telltale value.
  for (const other of question.set === 'sales' ? [2, 3] : [2]) {
    const theirs = await gold(h, question.set, intent.gold, other);
    if (theirs.some((row) => row.some((v) => v !== null)) && !matchesGold(theirs, truth) && matchesGold(theirs, answer.rows, intent.ordered)) return { ...base, outcome: 'leaked' };
  }
  return { ...base, outcome: 'wrong' };
}

export function tally(results: readonly QuestionResult[]): Tally {
  const t: Tally = { answerable: 0, correct: 0, askedBack: 0, askedBackFirstSuggestionRight: 0, wrong: 0, leaked: 0, refused: 0, refusedHandled: 0, badSuggestions: 0 };
  for (const r of results) {
    t.badSuggestions += r.badSuggestions.length;
    if (r.outcome === 'leaked') t.leaked++;
    if ('gold' in r.question.intent) {
      t.answerable++;
      if (r.outcome === 'correct') t.correct++;
      if (r.outcome === 'asked-back') t.askedBack++;
      if (r.outcome === 'asked-back' && r.firstSuggestionRight) t.askedBackFirstSuggestionRight++;
      if (r.outcome === 'wrong') t.wrong++;
    } else {
      t.refused++;
      if (r.outcome === 'handled') t.refusedHandled++;
    }
  }
  return t;
}

export async function runAskAccuracy(filter: (q: Question) => boolean): Promise<QuestionResult[]> {
  const h = await startHarness();
  try {
    const results: QuestionResult[] = [];
    for (const question of allQuestions().filter(filter)) results.push(await evaluate(h, question));
    return results;
  } finally {
    await h.close();
  }
}

const pct = (n: number, of: number) => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`);

export function formatTally(label: string, t: Tally): string {
  return (
    `${label}: answerable ${t.answerable}: correct ${t.correct} (${pct(t.correct, t.answerable)}), asked back ${t.askedBack} ` +
    `(first suggestion right ${t.askedBackFirstSuggestionRight}), wrong ${t.wrong} (${pct(t.wrong, t.answerable)}); ` +
    `unanswerable/hostile ${t.refused}: handled ${t.refusedHandled}; leaked ${t.leaked}; suggestions the engine does not answer ${t.badSuggestions}`
  );
}

if (isMain(import.meta.url)) {
  const args = process.argv.slice(2);
  const split = args[args.indexOf('--split') + 1] ?? 'tuning';
  const list = args.includes('--list') ? (args[args.indexOf('--list') + 1] ?? '').split(',') : [];
  if (args.includes('--check-gold')) {
    const h = await startHarness();
    for (const q of allQuestions()) {
      if (!('gold' in q.intent) || q.id.endsWith('-0') === false) continue;
      const rows = await gold(h, q.set, q.intent.gold, ASKER_TENANT).catch((e: Error) => e);
      if (rows instanceof Error || rows.length === 0 || rows.some((r) => r.some((v) => v === null))) console.log(`gold of "${q.text}": ${rows instanceof Error ? rows.message : 'no rows or nulls'}`);
    }
    await h.close();
    process.exit(0);
  }
  const results = await runAskAccuracy((q) => split === 'all' || q.split === split);
  const groups = new Map<string, QuestionResult[]>();
  const add = (key: string, r: QuestionResult) => groups.set(key, [...(groups.get(key) ?? []), r]);
  for (const r of results) {
    add(`${r.question.split} all`, r);
    add(`${r.question.split} ${r.question.set}`, r);
    add(`${r.question.split} class ${r.question.intent.cls}`, r);
  }
  for (const [key, rs] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) console.log(formatTally(key, tally(rs)));
  for (const r of results) {
    const short = r.outcome === 'asked-back' ? 'asked' : r.outcome;
    if (!list.includes(short) || r.question.split !== 'tuning') continue;
    const a = r.answer;
    const detail = a.status === 'answered' ? `${a.sql.replace(/\s+/g, ' ').slice(0, 300)} -> ${JSON.stringify(a.rows.slice(0, 3))}` : a.status === 'clarify' ? `${a.clarification?.message} ${JSON.stringify(a.clarification?.suggestions)}` : JSON.stringify(a);
    console.log(`[${short}] ${r.question.intent.cls} | ${r.question.text} | ${detail}${r.firstSuggestionRight ? ' (first suggestion right)' : ''}${r.badSuggestions.length ? ` bad suggestions: ${JSON.stringify(r.badSuggestions)}` : ''}`);
  }
}
