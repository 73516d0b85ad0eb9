/**
 * The events the components fire (ARCHITECTURE.md §3): `insight-kebab-case`,
 * bubbling and composed, with a typed detail. Fired for what users do and for
 * what the components finish, never for properties set in code.
 */
import type { FilterValues } from '../../sdk/protocol.ts';

/** `insight-ready`: the story loaded. */
export interface InsightReadyDetail {
  storyId: string;
  pages: Array<{ key: string; title: string }>;
}

/** `insight-render`: a card finished painting its content. */
export interface InsightRenderDetail {
  cardId: string;
}

/** `insight-filter-change`: the user changed a filter; `filters` holds every value set. */
export interface InsightFilterChangeDetail {
  filters: FilterValues;
}

/** `insight-error`: loading failed; `code` is the server's stable code (e.g. `ERR_TOKEN_EXPIRED`). */
export interface InsightErrorDetail {
  code: string;
  message: string;
  /** Set when one card failed rather than the whole story. */
  cardId?: string;
}

/** `insight-token-expiring`: the token expires soon (seconds since the epoch). */
export interface InsightTokenExpiringDetail {
  expiresAt: number;
}

export interface InsightEventMap {
  'insight-ready': CustomEvent<InsightReadyDetail>;
  'insight-render': CustomEvent<InsightRenderDetail>;
  'insight-filter-change': CustomEvent<InsightFilterChangeDetail>;
  'insight-error': CustomEvent<InsightErrorDetail>;
  'insight-token-expiring': CustomEvent<InsightTokenExpiringDetail>;
}

declare global {
  // Typed `addEventListener('insight-ready', (e) => e.detail.storyId)` on any element.
  interface HTMLElementEventMap extends InsightEventMap {}
}

/** Dispatches one of the insight events from `target`, bubbling and composed. */
export function emit<K extends keyof InsightEventMap>(target: EventTarget, type: K, detail: InsightEventMap[K]['detail']): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
}
