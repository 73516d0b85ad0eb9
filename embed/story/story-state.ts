/**
 * A story's state (page, filters, drill trail) as a compact, URL-safe string,
 * so a host can keep what its user looks at in its own URL and restore it.
 */
import type { FilterValues, StoryState } from '../../sdk/protocol.ts';

interface Packed {
  p: string;
  f?: FilterValues;
  t?: Array<[string, FilterValues]>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * Packs a story state into a URL-safe string (base64url of compact JSON).
 * @example
 * const url = new URL(location.href);
 * url.searchParams.set('insight', toUrlParam(story.getState()));
 * history.replaceState(null, '', url);
 */
export function toUrlParam(state: StoryState): string {
  const packed: Packed = { p: state.page };
  if (Object.keys(state.filters ?? {}).length > 0) packed.f = state.filters;
  if (state.trail && state.trail.length > 0) packed.t = state.trail.map((s) => [s.page, s.filters]);
  return toBase64Url(JSON.stringify(packed));
}

/**
 * Reads a string made by {@link toUrlParam}; `null` when it is not one (a
 * hand-edited or truncated URL), so the story simply starts at its first page.
 * @example
 * const state = fromUrlParam(new URL(location.href).searchParams.get('insight') ?? '');
 * if (state) story.setState(state);
 */
export function fromUrlParam(param: string): StoryState | null {
  if (!param || !/^[A-Za-z0-9_-]+$/.test(param)) return null;
  let packed: unknown;
  try {
    packed = JSON.parse(fromBase64Url(param));
  } catch {
    return null;
  }
  if (!isRecord(packed) || typeof packed['p'] !== 'string') return null;
  const filters = isRecord(packed['f']) ? (packed['f'] as FilterValues) : {};
  const state: StoryState = { page: packed['p'], filters };
  const trail = Array.isArray(packed['t'])
    ? packed['t'].flatMap((step): StoryState['trail'] & object =>
        Array.isArray(step) && typeof step[0] === 'string' ? [{ page: step[0], filters: isRecord(step[1]) ? (step[1] as FilterValues) : {} }] : [],
      )
    : [];
  if (trail.length > 0) state.trail = trail;
  return state;
}
