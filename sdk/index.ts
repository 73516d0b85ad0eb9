/** Browser entry of the SDK. */
export { createInsightClient, InsightApiError, InsightClient, refreshDelayMs, tokenExpiry } from './client.ts';
export type { InsightClientOptions } from './client.ts';
export { createInsight } from './insight.ts';
export type { Insight, InsightEventMap, InsightOptions } from './insight.ts';
export type { EmbedEventMap, EmbedHandle, EmbedOptions } from './embed-handle.ts';
export { iframeUrl, isIframeMessage } from './embed-iframe.ts';
export { retryDelayMs } from './token-session.ts';
export { resolveDatePreset } from './date-presets.ts';
export { DATE_PRESETS, DEFAULT_PERMISSIONS, EMBED_AUDIENCE, MAX_TOKEN_LIFETIME_SECONDS } from './protocol.ts';
export type {
  CardData,
  CardType,
  ChartShorthand,
  ColumnType,
  DatePreset,
  DatePresetValue,
  DateRangeValue,
  EmbedPermission,
  FilterType,
  FilterValue,
  FilterValues,
  FilterValuesResponse,
  IframeMessage,
  NumberRangeValue,
  Problem,
  ResultColumn,
  StoryCard,
  StoryFilter,
  StoryPage,
  StoryState,
  StoryView,
} from './protocol.ts';
