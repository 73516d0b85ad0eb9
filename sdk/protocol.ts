/**
 * Wire types shared by the server, the SDK and the components: the public
 * contract of the embed API (ARCHITECTURE.md §3).
 */

export type EmbedPermission = 'view' | 'drill' | 'ask' | 'export';

/** Claims of an embed token (a JWT signed HS256 with the organisation's embed secret). */
export interface EmbedTokenClaims {
  resource: { story: string };
  params?: Record<string, string | number | boolean>;
  permissions?: EmbedPermission[];
  aud: 'insight-embed';
  sub?: string;
  exp: number;
  iat?: number;
  jti?: string;
}

export const EMBED_AUDIENCE = 'insight-embed';
export const DEFAULT_PERMISSIONS: readonly EmbedPermission[] = ['view', 'drill'];
/** Longest lifetime a token may have. */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 60 * 60;

export type ColumnType = 'number' | 'string' | 'date' | 'datetime' | 'boolean' | 'json' | 'unknown';

export interface ResultColumn {
  name: string;
  type: ColumnType;
  label?: string;
  format?: string;
  /**
   * The aggregate a measure of a structured query was computed with; absent
   * for dimensions and SQL results. Metric cards use it to show a count or sum
   * of no rows as 0 and an average, minimum or maximum of no rows as no value.
   */
  aggregate?: 'sum' | 'avg' | 'count' | 'count_distinct' | 'min' | 'max';
}

export interface CardData {
  columns: ResultColumn[];
  /** Rows as arrays in column order. */
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  fromCache: boolean;
  /** Age of the cached result in milliseconds (0 when freshly computed). */
  cacheAgeMs: number;
  executionMs: number;
  /**
   * Metric cards with `options.compare: "previous_period"`: the same query over
   * the period just before the applied date range (same length).
   */
  comparison?: { label: string; from: string; to: string; rows: unknown[][] };
  /**
   * Metric cards with `options.sparkline` (`true` or `{ grain }`): the card's
   * first measure over time, oldest first, as `[periodStart, value]` rows.
   */
  series?: { grain: 'day' | 'week' | 'month' | 'quarter' | 'year'; columns: ResultColumn[]; rows: unknown[][] };
}

export type FilterType = 'select' | 'multi_select' | 'range' | 'date_range' | 'search';

export interface DateRangeValue {
  from?: string;
  to?: string;
}

/** Relative periods the server resolves (in UTC) for `date_range` filters and `relative_date` query filters. */
export const DATE_PRESETS = [
  'last_7_days',
  'last_30_days',
  'last_90_days',
  'last_365_days',
  'this_month',
  'last_month',
  'this_quarter',
  'last_quarter',
  'this_year',
  'last_year',
] as const;
export type DatePreset = (typeof DATE_PRESETS)[number];

/** A `date_range` filter set to a relative period. */
export interface DatePresetValue {
  preset: DatePreset;
}

export interface NumberRangeValue {
  min?: number;
  max?: number;
}

export type FilterValue = string | number | boolean | Array<string | number> | DateRangeValue | DatePresetValue | NumberRangeValue | null;

export type FilterValues = Record<string, FilterValue>;

export interface StoryFilter {
  id: string;
  /** The name used in `filters` maps (card data requests, setFilters, URL state). */
  name: string;
  label: string;
  type: FilterType;
  column: string;
  defaultValue: FilterValue;
  options: Record<string, unknown>;
}

export type CardType = 'chart' | 'metric' | 'table' | 'text';

/** Chart shorthand; compiled to Vega-Lite on the client. */
export interface ChartShorthand {
  chartType: 'bar' | 'line' | 'area' | 'scatter' | 'pie' | 'donut' | 'heatmap' | 'stacked_bar';
  x?: string;
  y?: string;
  color?: string;
  /** A full Vega-Lite spec without data, used instead of the shorthand. */
  spec?: Record<string, unknown>;
}

/**
 * Drill-down from a card: clicking a mark opens `page` (a page key of the same
 * story) with story filters set from the clicked datum: `filters` maps a field
 * of the card's result to the name of a story filter.
 */
export interface DrillTarget {
  page: string;
  filters: Record<string, string>;
}

export interface StoryCard {
  id: string;
  key: string;
  type: CardType;
  title: string;
  description: string | null;
  visualization: ChartShorthand | null;
  options: Record<string, unknown>;
  /** Filters (by name) that apply to this card. */
  filters: string[];
  /** Where a click on a mark leads (needs the token permission `drill`). */
  drill?: DrillTarget | null;
}

/** What a viewer is looking at: serialisable into a URL and back. */
export interface StoryState {
  /** Page key. */
  page: string;
  filters: FilterValues;
  /** Drill trail, oldest first: page keys visited by drilling, for the breadcrumb and back. */
  trail?: Array<{ page: string; filters: FilterValues }>;
}

/** Messages between an iframe embed (`/embed/story/{id}`) and its host page, posted with `postMessage`. */
export type IframeMessage =
  | { type: 'insight:resize'; height: number }
  | { type: 'insight:state'; state: StoryState }
  | { type: 'insight:set-filters'; filters: FilterValues }
  | { type: 'insight:set-state'; state: Partial<StoryState> }
  | { type: 'insight:token'; token: string }
  /** Host → frame: reload the story and its data, keeping page and filters. */
  | { type: 'insight:refresh' }
  | { type: 'insight:ready'; story: string }
  | { type: 'insight:error'; code: string; detail?: string };

/** `POST /api/embed/ask` request. */
export interface AskRequest {
  question: string;
  /** Dataset name to ask about; default: the datasets of the token's story. */
  dataset?: string;
}

/** One thing the engine understood, shown as a removable chip. */
export interface AskChip {
  kind: 'measure' | 'dimension' | 'filter' | 'sort' | 'limit' | 'time';
  /** Human text, e.g. "Revenue (sum)", "Region = West", "last quarter". */
  label: string;
  /** The words of the question this came from. */
  text: string;
}

/** `POST /api/embed/ask` response. */
export interface AskResponse {
  status: 'answered' | 'clarify';
  question: string;
  engine: 'offline' | 'llm';
  /** Why the LLM engine was not used when one is configured (timeout, error), if so. */
  fallbackReason?: string;
  /** The SQL that ran (over dataset names, as the viewer may read it); empty when clarifying. */
  sql: string;
  explanation: string;
  understood: AskChip[];
  columns: ResultColumn[];
  rows: unknown[][];
  rowCount: number;
  truncated: boolean;
  /** Suggested chart for the result; null when a table fits better. */
  visualization: ChartShorthand | null;
  /** Present when status is 'clarify': what is unclear and the nearest questions that would be answered. */
  clarification?: { message: string; unknownWords: string[]; suggestions: string[] };
  executionMs: number;
}

/** `GET /api/embed/ask/suggestions` response: example questions built from dataset metadata. */
export interface AskSuggestionsResponse {
  suggestions: string[];
}

export interface StoryPage {
  id: string;
  key: string;
  title: string;
  narrative: string | null;
  layout: 'single' | 'double' | 'triple' | 'grid';
  cards: StoryCard[];
}

export interface StoryView {
  id: string;
  slug: string;
  title: string;
  description: string | null;
  pages: StoryPage[];
  filters: StoryFilter[];
  permissions: EmbedPermission[];
  /** Seconds since the epoch when the token expires. */
  expiresAt: number;
}

export interface FilterValuesResponse {
  values: Array<string | number>;
  truncated: boolean;
}

/** RFC 9457 problem document with a stable code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  requestId?: string;
  [extension: string]: unknown;
}
