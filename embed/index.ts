/**
 * Public entry of the components: importing it defines `<insight-story>`,
 * `<insight-filter-bar>`, `<insight-card>`, `<insight-chart>`,
 * `<insight-metric>` and `<insight-table>`. vega loads only with the first chart.
 */
export { InsightStory } from './story/story.ts';
export { InsightFilterBar } from './filter-bar/filter-bar.ts';
export { InsightCard } from './card/card.ts';
export { InsightChart } from './chart/chart.ts';
export { InsightMetric } from './metric/metric.ts';
export { InsightTable } from './table/table.ts';
export { InsightAsk } from './ask/ask.ts';

export type { InsightStoryState } from './story/story.component.ts';
export { fromUrlParam, toUrlParam } from './story/story-state.ts';
export type { DatePreset, DateRangeFilterValue } from './filter-bar/filter-bar.component.ts';
export type {
  InsightAskDetail,
  InsightDrillDetail,
  InsightErrorDetail,
  InsightEventMap,
  InsightFilterChangeDetail,
  InsightPageChangeDetail,
  InsightReadyDetail,
  InsightRenderDetail,
  InsightStateChangeDetail,
  InsightTokenExpiringDetail,
} from './shared/events.ts';
export { toVegaLite } from './chart/to-vega-lite.ts';
export type { ChartTheme } from './chart/to-vega-lite.ts';

export { createInsightClient, InsightApiError, InsightClient } from '../sdk/client.ts';
export type { InsightClientOptions } from '../sdk/client.ts';
export type {
  CardData,
  ChartShorthand,
  DrillTarget,
  FilterValue,
  FilterValues,
  ResultColumn,
  StoryCard,
  StoryFilter,
  StoryPage,
  StoryState,
  StoryView,
} from '../sdk/protocol.ts';
