/**
 * Date phrases of a question ("last 30 days", "in March 2025", "since March",
 * "before 2025-06-01") as filters on a dataset's time column. Calendar
 * presets the query engine knows stay relative, so a saved answer keeps
 * moving with the calendar; anything else resolves against `now`, in UTC.
 */
import type { DatePreset } from '@insight-engine/sdk/protocol';
import type { QueryFilter } from '../../query/structured-query.ts';
import type { Token } from './tokenize-question.ts';
import { ownValue } from '../../schema/own-record.ts';

export interface DatePhrase {
  /** Index just past the phrase. */
  end: number;
  filter: QueryFilter;
  /** Human text, e.g. "last 30 days (2025-11-16 to 2025-12-15)". */
  label: string;
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const ABBREVIATIONS = MONTHS.map((m) => m.slice(0, 3));

/** Month number (0-11) of a month name or its three-letter abbreviation. */
export function monthOf(word: string | undefined): number | undefined {
  if (!word) return undefined;
  const w = word.toLowerCase();
  const full = MONTHS.indexOf(w);
  if (full >= 0) return full;
  if (w === 'sept') return 8;
  const short = ABBREVIATIONS.indexOf(w);
  return short >= 0 ? short : undefined;
}

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isYear = (t: Token | undefined): t is Token & { value: number } => t?.kind === 'number' && Number.isInteger(t.value) && (t.value as number) >= 1900 && (t.value as number) <= 2100 && !t.raw.includes('$');
const isCount = (t: Token | undefined): t is Token & { value: number } => t?.kind === 'number' && Number.isInteger(t.value) && (t.value as number) >= 1 && (t.value as number) <= 1000;

type Unit = 'day' | 'week' | 'month' | 'quarter' | 'year';
const UNITS: Record<string, Unit> = { day: 'day', week: 'week', month: 'month', quarter: 'quarter', year: 'year' };

/** A calendar period as an inclusive day range. */
interface Period {
  from: string;
  to: string;
  label: string;
}

function monthPeriod(year: number, month: number): Period {
  return { from: iso(Date.UTC(year, month, 1)), to: iso(Date.UTC(year, month + 1, 1) - DAY_MS), label: `${MONTH_NAMES[month]} ${year}` };
}

function yearPeriod(year: number): Period {
  return { from: `${year}-01-01`, to: `${year}-12-31`, label: String(year) };
}

function quarterPeriod(year: number, quarter: number): Period {
  return { from: iso(Date.UTC(year, (quarter - 1) * 3, 1)), to: iso(Date.UTC(year, quarter * 3, 1) - DAY_MS), label: `Q${quarter} ${year}` };
}

/** The most recent month of that name that has begun by `now`. */
function recentMonthYear(month: number, now: Date): number {
  return month <= now.getUTCMonth() ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
}

/**
 * A calendar period at tokens[i]: "2025", "March 2025", "March" (most recent),
 * "March 3 2025", "3 March 2025", "Q1 2025", "2025-03-01".
 */
function periodAt(tokens: Token[], i: number, now: Date): { period: Period; end: number } | undefined {
  if (tokens[i]?.lower === 'the') return periodAt(tokens, i + 1, now);
  const part = partOfPeriodAt(tokens, i, now);
  if (part) return part;
  const t = tokens[i];
  if (!t) return undefined;
  if (t.kind === 'date') {
    const ms = Date.parse(`${t.raw}T00:00:00Z`);
    if (Number.isNaN(ms)) return undefined;
    return { period: { from: t.raw, to: t.raw, label: t.raw }, end: i + 1 };
  }
  if (isYear(t)) return { period: yearPeriod(t.value), end: i + 1 };
  const q = /^q([1-4])$/.exec(t.lower);
  if (q) {
    const quarter = Number(q[1]);
    const next = tokens[i + 1];
    if (isYear(next)) return { period: quarterPeriod(next.value, quarter), end: i + 2 };
    const current = Math.floor(now.getUTCMonth() / 3) + 1;
    return { period: quarterPeriod(quarter <= current ? now.getUTCFullYear() : now.getUTCFullYear() - 1, quarter), end: i + 1 };
  }
  // "3 March 2025"
  if (t.kind === 'number' && Number.isInteger(t.value) && (t.value as number) >= 1 && (t.value as number) <= 31) {
    const month = monthOf(tokens[i + 1]?.lower);
    const year = tokens[i + 2];
    if (month !== undefined && isYear(year)) return dayPeriod(year.value, month, t.value as number, i + 3);
    return undefined;
  }
  const month = monthOf(t.lower);
  if (month === undefined) return undefined;
  const next = tokens[i + 1];
  // "March 3 2025" / "March 3"
  if (next?.kind === 'number' && Number.isInteger(next.value) && (next.value as number) >= 1 && (next.value as number) <= 31) {
    const year = tokens[i + 2];
    if (isYear(year)) return dayPeriod(year.value, month, next.value as number, i + 3);
    return dayPeriod(recentMonthYear(month, now), month, next.value as number, i + 2);
  }
  if (isYear(next)) return { period: monthPeriod(next.value, month), end: i + 2 };
  return { period: monthPeriod(recentMonthYear(month, now), month), end: i + 1 };
}

const ORDINALS: Record<string, number> = { first: 1, '1st': 1, second: 2, '2nd': 2, third: 3, '3rd': 3, fourth: 4, '4th': 4, last: -1, final: -1 };

/** "of 2025", "2025", "of March 2025": the period a part is taken of. */
function wholeAt(tokens: Token[], i: number, now: Date): { period: Period; end: number; month: boolean } | undefined {
  const k = tokens[i]?.lower === 'of' ? i + 1 : i;
  const whole = periodAt(tokens, k, now);
  if (!whole) return undefined;
  return { ...whole, month: monthOf(tokens[k]?.lower) !== undefined };
}

/**
 * A part of a year or month in calendar words: "first half of 2025", "H2 2024",
 * "second quarter of 2025", "first six months of 2025", "first week of March 2025",
 * "last week of December 2024". A week of a month is its first or last seven days.
 */
function partOfPeriodAt(tokens: Token[], i: number, now: Date): { period: Period; end: number } | undefined {
  const t = tokens[i];
  if (!t) return undefined;
  const h = /^h([12])$/.exec(t.lower);
  if (h && isYear(tokens[i + 1])) {
    const year = (tokens[i + 1] as Token & { value: number }).value;
    const first = h[1] === '1';
    return { period: { from: first ? `${year}-01-01` : `${year}-07-01`, to: first ? `${year}-06-30` : `${year}-12-31`, label: `H${h[1]} ${year}` }, end: i + 2 };
  }
  const ordinal = ownValue(ORDINALS, t.lower);
  if (ordinal === undefined) return undefined;
  let k = i + 1;
  let months = 0;
  if (tokens[k]?.lower === 'six' && tokens[k + 1]?.key === 'month') {
    months = 6;
    k += 2;
  }
  const unit = months ? 'half' : tokens[k]?.key;
  if (!months) k++;
  const whole = wholeAt(tokens, k, now);
  if (!whole) return undefined;
  const year = Number(whole.period.from.slice(0, 4));
  if (unit === 'half' && !whole.month && (ordinal === 1 || ordinal === 2 || ordinal === -1)) {
    const first = ordinal === 1;
    return { period: { from: first ? `${year}-01-01` : `${year}-07-01`, to: first ? `${year}-06-30` : `${year}-12-31`, label: `H${first ? 1 : 2} ${year}` }, end: whole.end };
  }
  if (unit === 'quarter' && !whole.month) return { period: quarterPeriod(year, ordinal === -1 ? 4 : ordinal), end: whole.end };
  if (unit === 'week' && whole.month && (ordinal === 1 || ordinal === -1)) {
    const from = ordinal === 1 ? whole.period.from : iso(Date.parse(`${whole.period.to}T00:00:00Z`) - 6 * DAY_MS);
    const to = ordinal === 1 ? iso(Date.parse(`${whole.period.from}T00:00:00Z`) + 6 * DAY_MS) : whole.period.to;
    return { period: { from, to, label: `${ordinal === 1 ? 'first' : 'last'} week of ${whole.period.label}` }, end: whole.end };
  }
  return undefined;
}

const RANGE_WORDS = new Set(['to', 'through', 'thru', 'until', 'till', '-']);

/**
 * A range of months where a year may be stated once: "January to March 2025",
 * "jan-mar 2025", "November 2024 to February 2025". A year stated once
 * belongs to the whole range (the start goes back a year if its month comes later).
 */
function monthRangeAt(tokens: Token[], i: number, separators: ReadonlySet<string>): { from: string; to: string; end: number } | undefined {
  const t = tokens[i];
  if (!t) return undefined;
  let m1: number | undefined;
  let m2: number | undefined;
  let y1: number | undefined;
  let k: number;
  const joined = /^([a-z]+)-([a-z]+)$/.exec(t.lower);
  if (joined) {
    m1 = monthOf(joined[1]);
    m2 = monthOf(joined[2]);
    k = i + 1;
  } else {
    m1 = monthOf(t.lower);
    k = i + 1;
    const y = tokens[k];
    if (isYear(y)) {
      y1 = y.value;
      k++;
    }
    if (!separators.has(tokens[k]?.lower ?? '')) return undefined;
    m2 = monthOf(tokens[k + 1]?.lower);
    k += 2;
  }
  if (m1 === undefined || m2 === undefined) return undefined;
  const y2 = tokens[k];
  if (!isYear(y2)) return undefined;
  const endYear = y2.value;
  const startYear = y1 ?? (m1 <= m2 ? endYear : endYear - 1);
  const from = monthPeriod(startYear, m1).from;
  const to = monthPeriod(endYear, m2).to;
  if (from > to) return undefined;
  return { from, to, end: k + 1 };
}

function dayPeriod(year: number, month: number, day: number, end: number) {
  const ms = Date.UTC(year, month, day);
  if (new Date(ms).getUTCMonth() !== month) return undefined;
  const d = iso(ms);
  return { period: { from: d, to: d, label: d }, end };
}

const between = (column: string, from: string, to: string): QueryFilter => ({ column, op: 'between', value: [from, to] });
const preset = (column: string, value: DatePreset): QueryFilter => ({ column, op: 'relative_date', value });

/** Days in a rolling window that the engine can keep relative. */
const DAY_PRESETS: Record<number, DatePreset> = { 7: 'last_7_days', 30: 'last_30_days', 90: 'last_90_days', 365: 'last_365_days' };

function startOfWeek(ms: number): number {
  const weekday = (new Date(ms).getUTCDay() + 6) % 7; // Monday = 0
  return ms - weekday * DAY_MS;
}

/** The calendar period `back` periods before the current one (0 = current). */
function calendarPeriod(unit: Exclude<Unit, 'day'>, back: number, now: Date): Period {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  switch (unit) {
    case 'week': {
      const start = startOfWeek(Date.UTC(y, m, now.getUTCDate())) - back * 7 * DAY_MS;
      return { from: iso(start), to: iso(start + 6 * DAY_MS), label: back === 0 ? 'this week' : 'last week' };
    }
    case 'month':
      return monthPeriod(new Date(Date.UTC(y, m - back, 1)).getUTCFullYear(), new Date(Date.UTC(y, m - back, 1)).getUTCMonth());
    case 'quarter': {
      const start = new Date(Date.UTC(y, Math.floor(m / 3) * 3 - back * 3, 1));
      return quarterPeriod(start.getUTCFullYear(), Math.floor(start.getUTCMonth() / 3) + 1);
    }
    case 'year':
      return yearPeriod(y - back);
  }
}

/**
 * Reads a date phrase starting at tokens[i], if there is one.
 *
 * @example
 * parseDatePhrase(tokenizeQuestion('revenue last 30 days'), 1, 'order_date', new Date('2025-12-15'))
 * // { end: 4, filter: { column: 'order_date', op: 'relative_date', value: 'last_30_days' }, label: 'last 30 days' }
 */
export function parseDatePhrase(tokens: Token[], i: number, column: string, now: Date): DatePhrase | undefined {
  const t = tokens[i];
  if (!t) return undefined;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const w = t.lower;
  const next = tokens[i + 1];

  if (w === 'today') return { end: i + 1, filter: between(column, iso(today), iso(today)), label: `today (${iso(today)})` };
  if (w === 'yesterday') return { end: i + 1, filter: between(column, iso(today - DAY_MS), iso(today - DAY_MS)), label: `yesterday (${iso(today - DAY_MS)})` };
  if (w === 'ytd' || (w === 'year' && next?.lower === 'to' && tokens[i + 2]?.lower === 'date')) {
    const from = `${now.getUTCFullYear()}-01-01`;
    return { end: w === 'ytd' ? i + 1 : i + 3, filter: between(column, from, iso(today)), label: `year to date (${from} to ${iso(today)})` };
  }

  // "this month", "last quarter", "previous year", "current week"
  if (w === 'from' || w === 'between') {
    const range = monthRangeAt(tokens, i + 1, w === 'between' ? new Set(['and', ...RANGE_WORDS]) : RANGE_WORDS);
    if (range) return { end: range.end, filter: between(column, range.from, range.to), label: `from ${range.from} to ${range.to}` };
  }
  if (w === 'in' || w === 'for' || w === 'during') {
    const range = monthRangeAt(tokens, tokens[i + 1]?.lower === 'the' ? i + 2 : i + 1, RANGE_WORDS);
    if (range) return { end: range.end, filter: between(column, range.from, range.to), label: `from ${range.from} to ${range.to}` };
  }
  const bare = monthRangeAt(tokens, i, RANGE_WORDS);
  if (bare) return { end: bare.end, filter: between(column, bare.from, bare.to), label: `from ${bare.from} to ${bare.to}` };
  const part = t.lower === 'the' ? undefined : partOfPeriodAt(tokens, i, now);
  if (part) return { end: part.end, filter: between(column, part.period.from, part.period.to), label: `in ${part.period.label}` };
  if (['this', 'current', 'last', 'previous', 'past'].includes(w)) {
    const unit = next ? ownValue(UNITS, next.key) : undefined;
    if (unit && next?.lower === next?.key) {
      const back = w === 'this' || w === 'current' ? 0 : 1;
      if (unit === 'day') {
        const day = today - back * DAY_MS;
        return { end: i + 2, filter: between(column, iso(day), iso(day)), label: back === 0 ? 'today' : 'yesterday' };
      }
      const words = `${back === 0 ? 'this' : 'last'} ${unit}`;
      if (unit === 'week') {
        const p = calendarPeriod('week', back, now);
        return { end: i + 2, filter: between(column, p.from, p.to), label: `${words} (${p.from} to ${p.to})` };
      }
      const p = calendarPeriod(unit, back, now);
      return { end: i + 2, filter: preset(column, `${back === 0 ? 'this' : 'last'}_${unit}` as DatePreset), label: `${words} (${p.label})` };
    }
    // "last 30 days", "past 3 months": rolling days and weeks, whole calendar months, quarters and years before the current one.
    if (w !== 'this' && w !== 'current' && isCount(next)) {
      const u = tokens[i + 2];
      const unitOf = u ? ownValue(UNITS, u.key) : undefined;
      if (!unitOf) return undefined;
      const n = next.value;
      const end = i + 3;
      const words = `last ${n} ${u?.lower}`;
      if (unitOf === 'day' || unitOf === 'week') {
        const days = unitOf === 'day' ? n : n * 7;
        const known = ownValue(DAY_PRESETS, days);
        const from = iso(today - (days - 1) * DAY_MS);
        if (known) return { end, filter: preset(column, known), label: `${words} (${from} to ${iso(today)})` };
        return { end, filter: between(column, from, iso(today)), label: `${words} (${from} to ${iso(today)})` };
      }
      const first = calendarPeriod(unitOf, n, now);
      const last = calendarPeriod(unitOf, 1, now);
      return { end, filter: between(column, first.from, last.to), label: `${words} (${first.from} to ${last.to})` };
    }
    return undefined;
  }

  // "in 2024", "in March 2025", "during Q3", "for 2024", "on 2025-03-01"
  if (['in', 'during', 'for', 'on'].includes(w)) {
    const p = periodAt(tokens, i + 1, now);
    if (!p) return undefined;
    return { end: p.end, filter: between(column, p.period.from, p.period.to), label: `in ${p.period.label}` };
  }
  // "since March": from the start of the period to today.
  if (w === 'since' || w === 'from') {
    const p = periodAt(tokens, i + 1, now);
    if (!p) return undefined;
    // "from March to June 2025"
    if (w === 'from' && (tokens[p.end]?.lower === 'to' || tokens[p.end]?.lower === 'until' || tokens[p.end]?.lower === 'through')) {
      const q = periodAt(tokens, p.end + 1, now);
      if (!q) return undefined;
      return { end: q.end, filter: between(column, p.period.from, q.period.to), label: `from ${p.period.from} to ${q.period.to}` };
    }
    if (w === 'from') return { end: p.end, filter: between(column, p.period.from, p.period.to), label: `in ${p.period.label}` };
    return { end: p.end, filter: between(column, p.period.from, iso(today)), label: `since ${p.period.label} (${p.period.from} to ${iso(today)})` };
  }
  if (w === 'before' || w === 'until') {
    const p = periodAt(tokens, i + 1, now);
    if (!p) return undefined;
    return { end: p.end, filter: { column, op: 'lt', value: p.period.from }, label: `before ${p.period.from}` };
  }
  if (w === 'after') {
    const p = periodAt(tokens, i + 1, now);
    if (!p) return undefined;
    return { end: p.end, filter: { column, op: 'gt', value: p.period.to }, label: `after ${p.period.to}` };
  }
  if (w === 'between') {
    const p = periodAt(tokens, i + 1, now);
    if (!p || tokens[p.end]?.lower !== 'and') return undefined;
    const q = periodAt(tokens, p.end + 1, now);
    if (!q) return undefined;
    return { end: q.end, filter: between(column, p.period.from, q.period.to), label: `from ${p.period.from} to ${q.period.to}` };
  }
  // A bare year or month with a year ("2024", "March 2025", "Q2 2025") reads as "in ...".
  if (isYear(t) || (monthOf(t.lower) !== undefined && isYear(next) && t.lower !== 'may') || (/^q[1-4]$/.test(w) && isYear(next)) || t.kind === 'date' || (t.lower === 'may' && isYear(next))) {
    const p = periodAt(tokens, i, now);
    if (!p) return undefined;
    return { end: p.end, filter: between(column, p.period.from, p.period.to), label: `in ${p.period.label}` };
  }
  return undefined;
}
