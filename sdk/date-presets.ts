/**
 * Relative date presets ("last 30 days", "this quarter") resolved to
 * inclusive [from, to] days in UTC: the server filters with these days and
 * the filter bar shows them, so both read a preset the same way.
 */
import type { DatePreset } from './protocol.ts';

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * The inclusive [from, to] days (`YYYY-MM-DD`) of a relative preset, in UTC.
 * @example resolveDatePreset('last_month', new Date('2026-11-21T12:00:00Z')); // { from: '2026-10-01', to: '2026-10-31' }
 */
export function resolveDatePreset(preset: DatePreset, now: Date = new Date()): { from: string; to: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const today = Date.UTC(y, m, now.getUTCDate());
  const back = (days: number) => ({ from: day(new Date(today - (days - 1) * 86_400_000)), to: day(new Date(today)) });
  const span = (start: number, end: number) => ({ from: day(new Date(start)), to: day(new Date(end - 86_400_000)) });
  const q = Math.floor(m / 3) * 3;
  switch (preset) {
    case 'last_7_days':
      return back(7);
    case 'last_30_days':
      return back(30);
    case 'last_90_days':
      return back(90);
    case 'last_365_days':
      return back(365);
    case 'this_month':
      return span(Date.UTC(y, m, 1), Date.UTC(y, m + 1, 1));
    case 'last_month':
      return span(Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1));
    case 'this_quarter':
      return span(Date.UTC(y, q, 1), Date.UTC(y, q + 3, 1));
    case 'last_quarter':
      return span(Date.UTC(y, q - 3, 1), Date.UTC(y, q, 1));
    case 'this_year':
      return span(Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1));
    case 'last_year':
      return span(Date.UTC(y - 1, 0, 1), Date.UTC(y, 0, 1));
  }
}
