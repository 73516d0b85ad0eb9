import { css } from 'lit';
import { themeTokens } from '../shared/theme.styles.ts';

export const metricStyles = [
  themeTokens,
  css`
    :host {
      display: block;
    }

    .metric {
      display: grid;
      gap: 4px;
      margin: 0;
    }

    .label {
      margin: 0;
      font-size: 13px;
      font-weight: 500;
      color: var(--ie-muted);
    }

    .value {
      display: block;
      font-size: var(--insight-metric-font-size, 32px);
      line-height: 1.15;
      font-weight: 600;
      letter-spacing: -0.02em;
      font-variant-numeric: tabular-nums;
      color: var(--ie-text);
    }

    .value.empty {
      color: var(--ie-muted);
    }

    .delta {
      display: flex;
      align-items: baseline;
      gap: 6px;
      margin: 2px 0 0;
      font-size: 13px;
      font-weight: 600;
      font-variant-numeric: tabular-nums;
    }

    .delta .arrow {
      font-size: 10px;
    }

    .delta.good {
      color: var(--insight-color-positive, light-dark(#067647, #47cd89));
    }

    .delta.bad {
      color: var(--insight-color-negative, var(--ie-danger));
    }

    .delta.flat {
      color: var(--ie-muted);
    }

    .versus {
      font-weight: 400;
      color: var(--ie-muted);
    }

    .sparkline {
      display: block;
      width: 100%;
      height: 32px;
      margin-top: 6px;
      overflow: visible;
    }

    .sparkline .line {
      fill: none;
      stroke: var(--ie-palette-1);
      stroke-width: 1.75;
      stroke-linejoin: round;
      stroke-linecap: round;
      vector-effect: non-scaling-stroke;
    }

    .sparkline .area {
      fill: color-mix(in srgb, var(--ie-palette-1) 12%, transparent);
      stroke: none;
    }
  `,
];
