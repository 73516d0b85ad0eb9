import { LitElement, html, nothing, svg, type PropertyDeclarations } from 'lit';
import { formatNumber } from '../shared/format-value.ts';
import { metricStyles } from './metric.styles.ts';

/** From this magnitude on the value shows in compact notation (`$980.6K`). */
const COMPACT_FROM = 100_000;

/** The value of the previous period a metric is compared with. */
export interface MetricComparison {
  value: number | null;
  /** What the previous period is, e.g. `2024-01-01 – 2024-12-31` (shown as a tooltip and read out). */
  label: string;
}

/** Change from `previous` to `current` as a fraction (0.123 = 12.3 % up); null when it cannot be told (no previous value, or zero). */
export function relativeChange(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || !Number.isFinite(current) || !Number.isFinite(previous) || previous === 0) return null;
  return (current - previous) / Math.abs(previous);
}

/** SVG path of a sparkline through `values` in a `width` × `height` box (1 px inset so the stroke is not clipped). */
export function sparklinePath(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - 2) / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = 1 + i * step;
      const y = 1 + (height - 2) * (1 - (v - min) / span);
      return `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(' ');
}

/**
 * @summary One key figure: a big number formatted with Intl, with an optional label.
 *
 * Large values show in compact notation; the full value stays available as a
 * tooltip (`title`) and to screen readers. With `comparison` it shows the
 * change against the previous period (▲/▼ and percent, coloured by whether
 * `good-direction` is met); with `series` a small sparkline of the value over time.
 *
 * @csspart metric - The wrapper.
 * @csspart metric-label - The label above the value.
 * @csspart metric-value - The formatted value.
 * @csspart metric-delta - The change against the previous period.
 * @csspart sparkline - The sparkline SVG.
 *
 * @cssproperty --insight-metric-font-size - Size of the value (default 32px).
 * @cssproperty --insight-color-text - Text colour.
 * @cssproperty --insight-color-text-muted - Label colour.
 * @cssproperty --insight-font-family - Font family.
 * @cssproperty --insight-color-positive - A change in the good direction (default green).
 * @cssproperty --insight-color-negative - A change in the bad direction (default red).
 */
export class InsightMetric extends LitElement {
  static override styles = metricStyles;

  static override properties: PropertyDeclarations = {
    value: { type: Number },
    format: {},
    label: {},
    notation: {},
    locale: {},
    comparison: { attribute: false },
    series: { attribute: false },
    goodDirection: { attribute: 'good-direction' },
  };

  /** The number to show; `null` shows a dash. */
  declare value: number | null;
  /** Column format such as `currency:USD`, `percent`, `integer`, `number:2`. */
  declare format: string | undefined;
  /** Visible label; leave empty when a surrounding card already titles the value. */
  declare label: string;
  /** `auto` (compact from 100,000), `compact` or `standard`. */
  declare notation: 'auto' | 'compact' | 'standard';
  /** BCP 47 locale for formatting; the browser's by default. */
  declare locale: string | undefined;
  /** The previous period's value; nothing extra shows without it. */
  declare comparison: MetricComparison | null;
  /** The value over time, oldest first, for the sparkline; nothing extra shows without it. */
  declare series: number[] | null;
  /** Whether a rise (`up`, default) or a fall (`down`, e.g. returns) is good. */
  declare goodDirection: 'up' | 'down';

  constructor() {
    super();
    this.value = null;
    this.format = undefined;
    this.label = '';
    this.notation = 'auto';
    this.locale = undefined;
    this.comparison = null;
    this.series = null;
    this.goodDirection = 'up';
  }

  #delta() {
    const comparison = this.comparison;
    if (!comparison) return nothing;
    const change = relativeChange(this.value, comparison.value);
    if (change === null) return nothing;
    const percent = new Intl.NumberFormat(this.locale, { style: 'percent', maximumFractionDigits: 1 }).format(Math.abs(change));
    const direction = change > 0 ? 'up' : change < 0 ? 'down' : 'flat';
    const tone = direction === 'flat' ? 'flat' : direction === this.goodDirection ? 'good' : 'bad';
    const arrow = direction === 'up' ? '▲' : direction === 'down' ? '▼' : '■';
    const spoken = direction === 'flat' ? `unchanged vs previous period` : `${direction} ${percent} vs previous period`;
    const previous = typeof comparison.value === 'number' ? formatNumber(comparison.value, this.format, { locale: this.locale }) : '';
    return html`<p part="metric-delta" class="delta ${tone}" title=${`${comparison.label}: ${previous}`}>
      <span aria-hidden="true"><span class="arrow">${arrow}</span> ${direction === 'flat' ? '0%' : percent}</span
      ><span class="sr-only">${spoken} (${comparison.label}, ${previous})</span>
      <span class="versus" aria-hidden="true">vs previous period</span>
    </p>`;
  }

  #sparkline() {
    const values = (this.series ?? []).filter((v) => Number.isFinite(v));
    if (values.length < 2) return nothing;
    const [width, height] = [120, 32];
    const line = sparklinePath(values, width, height);
    const area = `${line} L${width - 1},${height} L1,${height} Z`;
    return html`<svg part="sparkline" class="sparkline" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" aria-hidden="true" focusable="false">
      ${svg`<path class="area" d=${area}></path><path class="line" d=${line}></path>`}
    </svg>`;
  }

  /** The value in full, e.g. `$980,584.48`, or '' when there is none. */
  get fullText(): string {
    return typeof this.value === 'number' && Number.isFinite(this.value) ? formatNumber(this.value, this.format, { locale: this.locale }) : '';
  }

  override render() {
    const value = this.value;
    const hasValue = typeof value === 'number' && Number.isFinite(value);
    const full = this.fullText;
    const compact = hasValue && (this.notation === 'compact' || (this.notation === 'auto' && Math.abs(value) >= COMPACT_FROM));
    const shown = hasValue ? (compact ? formatNumber(value, this.format, { compact: true, locale: this.locale }) : full) : '–';
    return html`
      <div part="metric" class="metric">
        ${this.label ? html`<p part="metric-label" class="label">${this.label}</p>` : nothing}
        ${hasValue
          ? html`<data part="metric-value" class="value" value=${String(value)} title=${full}
              ><span aria-hidden="true">${shown}</span><span class="sr-only">${full}</span></data
            >`
          : html`<span part="metric-value" class="value empty"><span aria-hidden="true">–</span><span class="sr-only">No value</span></span>`}
        ${hasValue ? this.#delta() : nothing} ${this.#sparkline()}
      </div>
    `;
  }
}
