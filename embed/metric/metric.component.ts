import { LitElement, html, nothing, type PropertyDeclarations } from 'lit';
import { formatNumber } from '../shared/format-value.ts';
import { metricStyles } from './metric.styles.ts';

/** From this magnitude on the value shows in compact notation (`$980.6K`). */
const COMPACT_FROM = 100_000;

/**
 * @summary One key figure: a big number formatted with Intl, with an optional label.
 *
 * Large values show in compact notation; the full value stays available as a
 * tooltip (`title`) and to screen readers.
 *
 * @csspart metric - The wrapper.
 * @csspart metric-label - The label above the value.
 * @csspart metric-value - The formatted value.
 *
 * @cssproperty --insight-metric-font-size - Size of the value (default 32px).
 * @cssproperty --insight-color-text - Text colour.
 * @cssproperty --insight-color-text-muted - Label colour.
 * @cssproperty --insight-font-family - Font family.
 */
export class InsightMetric extends LitElement {
  static override styles = metricStyles;

  static override properties: PropertyDeclarations = {
    value: { type: Number },
    format: {},
    label: {},
    notation: {},
    locale: {},
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

  constructor() {
    super();
    this.value = null;
    this.format = undefined;
    this.label = '';
    this.notation = 'auto';
    this.locale = undefined;
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
      </div>
    `;
  }
}
