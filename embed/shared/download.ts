/**
 * Downloads from a card: the chart as an image (drawn by vega in the page) and
 * the card's rows as CSV or XLSX (exported by the server for the token).
 */
import { InsightApiError } from '../../sdk/client.ts';
import type { FilterValues, Problem } from '../../sdk/protocol.ts';

export type ExportFormat = 'csv' | 'xlsx';

/** Fetches a card's export with the embed token; `<insight-story>` supplies one to its cards. */
export type CardExporter = (cardId: string, format: ExportFormat, filters: FilterValues, signal?: AbortSignal) => Promise<Blob>;

/** A file name for a card download: its title in lower-case words, and the extension. */
export function downloadName(title: string, extension: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-')
    .slice(0, 80);
  return `${base || 'card'}.${extension}`;
}

/** Saves a URL (object or data URL) as a file through a temporary link. */
export function saveUrl(url: string, filename: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
}

/** Saves a blob as a file. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  saveUrl(url, filename);
  // After the click has handed the URL to the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * An exporter calling `GET /api/embed/cards/{cardId}/export?format=&filters=`
 * with `Authorization: Bearer <token>`; a token refused as expired is
 * refreshed once when `refresh` is given.
 * @example
 * const exporter = createCardExporter('https://analytics.example.com', () => token);
 * saveBlob(await exporter(card.id, 'csv', { region: 'West' }), 'revenue.csv');
 */
export function createCardExporter(server: string, token: () => string | Promise<string>, refresh?: () => Promise<string>): CardExporter {
  const base = server.replace(/\/+$/, '');
  return async function exportCard(cardId, format, filters, signal) {
    const query = new URLSearchParams({ format });
    if (Object.keys(filters).length > 0) query.set('filters', JSON.stringify(filters));
    const url = `${base}/api/embed/cards/${encodeURIComponent(cardId)}/export?${query}`;
    const attempt = async (bearer: string) => fetch(url, { headers: { authorization: `Bearer ${bearer}` }, ...(signal ? { signal } : {}) });
    let response = await attempt(await token());
    if (response.ok) return response.blob();
    let problem = (await response.json().catch(() => undefined)) as Problem | undefined;
    if (problem?.code === 'ERR_TOKEN_EXPIRED' && refresh) {
      response = await attempt(await refresh());
      if (response.ok) return response.blob();
      problem = (await response.json().catch(() => undefined)) as Problem | undefined;
    }
    throw new InsightApiError(response.status, problem?.code ?? 'ERR_HTTP', problem?.detail ?? problem?.title ?? response.statusText, problem);
  };
}
