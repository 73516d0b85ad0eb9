/**
 * The events the components fire (ARCHITECTURE.md §3): `insight-kebab-case`,
 * bubbling and composed, with a typed detail. Fired for what users do and for
 * what the components finish, never for properties set in code.
 */
import type { FilterValues, StoryState } from '../../sdk/protocol.ts';

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

/** `insight-ask`: a question was answered or needs clarifying (`rowCount` is 0 then). */
export interface InsightAskDetail {
  question: string;
  status: 'answered' | 'clarify';
  engine: 'offline' | 'llm';
  rowCount: number;
}

/**
 * `insight-drill`: the user chose a mark or row of a drillable card. Cancelable:
 * `preventDefault()` keeps the story where it is (the host handles the drill).
 */
export interface InsightDrillDetail {
  cardId: string;
  /** Key of the page the drill opens. */
  page: string;
  /** Story filter values taken from the chosen datum, by filter name. */
  filters: FilterValues;
  /** The chosen row, by result column name. */
  datum: Record<string, unknown>;
}

/** `insight-page-change`: the user opened another page (tab, drill or Back). */
export interface InsightPageChangeDetail {
  page: string;
  previousPage: string;
  /** What opened it. */
  cause: 'tab' | 'drill' | 'back';
}

/** `insight-state-change`: after any user change of page, filters or drill trail; the state to put in a URL. */
export interface InsightStateChangeDetail {
  state: StoryState;
}

/** `insight-filters-reset`: the user asked, from a card whose filters matched no rows, for the default filters back. */
export interface InsightFiltersResetDetail {
  cardId: string;
}

export interface InsightEventMap {
  'insight-drill': CustomEvent<InsightDrillDetail>;
  'insight-page-change': CustomEvent<InsightPageChangeDetail>;
  'insight-state-change': CustomEvent<InsightStateChangeDetail>;
  'insight-ready': CustomEvent<InsightReadyDetail>;
  'insight-render': CustomEvent<InsightRenderDetail>;
  'insight-filter-change': CustomEvent<InsightFilterChangeDetail>;
  'insight-error': CustomEvent<InsightErrorDetail>;
  'insight-token-expiring': CustomEvent<InsightTokenExpiringDetail>;
  'insight-ask': CustomEvent<InsightAskDetail>;
  'insight-filters-reset': CustomEvent<InsightFiltersResetDetail>;
}

declare global {
  // Typed `addEventListener('insight-ready', (e) => e.detail.storyId)` on any element.
  interface HTMLElementEventMap extends InsightEventMap {}
}

/** Dispatches one of the insight events from `target`, bubbling and composed. */
export function emit<K extends keyof InsightEventMap>(target: EventTarget, type: K, detail: InsightEventMap[K]['detail'], options: { cancelable?: boolean } = {}): boolean {
  return target.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true, cancelable: options.cancelable ?? false }));
}
