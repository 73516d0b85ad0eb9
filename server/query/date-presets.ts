/**
 * Relative date presets ("last 30 days", "this quarter"), resolved to
 * inclusive [from, to] days in UTC at the moment a query runs. The rule lives
 * in the SDK so the filter bar shows the very days the server filters by.
 */
import { DATE_PRESETS, type DatePreset } from '../../sdk/protocol.ts';
import { resolveDatePreset } from '../../sdk/date-presets.ts';

export { DATE_PRESETS, resolveDatePreset, type DatePreset };
