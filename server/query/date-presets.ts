/**
 * Relative date presets ("last 30 days", "this quarter"), resolved to
 * inclusive [from, to] days in UTC at the moment a query runs. The rule lives
 * in the SDK so the filter bar shows the very days the server filters by.
 */
import { resolveDatePreset } from '@insight-engine/sdk/date-presets';
import { DATE_PRESETS, type DatePreset } from '@insight-engine/sdk/protocol';

export { DATE_PRESETS, resolveDatePreset, type DatePreset };
