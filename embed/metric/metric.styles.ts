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
  `,
];
