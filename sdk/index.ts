/** Browser entry of the SDK. */
export { createInsightClient, InsightApiError, InsightClient, refreshDelayMs, tokenExpiry } from './client.ts';
export type { InsightClientOptions } from './client.ts';
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
  NumberRangeValue,
  Problem,
  ResultColumn,
  StoryCard,
  StoryFilter,
  StoryPage,
  StoryView,
} from './protocol.ts';
